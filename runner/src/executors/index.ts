import type { RunConfig } from '../config'
import { createFakeExecutors } from './fake'
import { createRealExecutors, defaultAnsibleDir } from './real'
import type { Executors } from './types'

/** The executors named by `RUNNER_EXECUTOR`: `real` (Proxmox, SSH, Ansible, game check) or `fake`. */
export function selectExecutors(config: RunConfig): Executors {
  switch (config.executor) {
    case 'fake':
      return createFakeExecutors(config.fake)
    case 'real':
      return createRealExecutors({
        ansibleDir: config.ansibleDir ?? defaultAnsibleDir(),
        provisioner: config.provisioner,
        runnerAddress: config.address ?? null,
        minecraftManifestUrl: config.minecraftManifestUrl,
        paperApiUrl: config.paperApiUrl,
        artifactUrlOverride: config.artifactUrl ?? null,
      })
  }
}
