import type { RunConfig } from '../config'
import type { Executors } from './types'

/** The executors named by `RUNNER_EXECUTOR`: `real` (Proxmox, SSH, Ansible, game check) or `fake`. */
export async function selectExecutors(config: RunConfig): Promise<Executors> {
  switch (config.executor) {
    case 'fake': {
      const { createFakeExecutors } = await import('./fake')
      return createFakeExecutors(config.fake)
    }
    case 'real': {
      const { createRealExecutors, defaultAnsibleDir } = await import('./real')
      return createRealExecutors({
        ansibleDir: config.ansibleDir ?? defaultAnsibleDir(),
        provisioner: config.provisioner,
        simulatedTaskMs: config.simulatedTaskMs,
        runnerAddress: config.address ?? null,
        minecraftManifestUrl: config.minecraftManifestUrl,
        paperApiUrl: config.paperApiUrl,
        artifactUrlOverride: config.artifactUrl ?? null,
      })
    }
  }
}
