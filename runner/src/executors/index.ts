import type { RunConfig } from '../setup/config'
import type { Executors } from './types'

/**
 * The executors named by `RUNNER_EXECUTOR`: `real` (Proxmox, SSH, Ansible, game check) or `fake`.
 * Their code (and zod, Node's HTTPS client, child_process…) is imported on first use, by the first
 * job, test or watch round, not at start: an idle runner does not hold it.
 */
export function selectExecutors(config: RunConfig): Executors {
  let loaded: Promise<Executors> | null = null
  const load = () => (loaded ??= importExecutors(config))
  // Between jobs a runner only watches: with the real executors that is the Proxmox client and
  // the game checks, imported on their own (the job executors, Ansible, SSH and the game modules
  // stay unloaded until a job or a test needs them).
  let watching: Promise<Pick<Executors, 'inspect' | 'listProductVms'>> | null = null
  const watch = () =>
    (watching ??=
      config.executor === 'real'
        ? import('./watch-probe').then(({ createWatchProbe }) => createWatchProbe())
        : load())
  // The newest release of a `latest` channel: the resolver alone, on the first deployment that
  // follows `latest` (the fake executors have none).
  let latest: Promise<NonNullable<Executors['latestVersion']>> | null = null
  const latestRelease = () =>
    (latest ??=
      config.executor === 'real'
        ? import('./latest-release').then(({ createLatestRelease }) =>
            createLatestRelease({
              provisioner: config.provisioner,
              minecraftManifestUrl: config.minecraftManifestUrl,
              paperApiUrl: config.paperApiUrl,
              listTtlMs: config.versionListTtlMs,
            }),
          )
        : load().then((e) => e.latestVersion?.bind(e) ?? (async () => null)))
  return {
    latestVersion: async (channel, signal) => (await latestRelease())(channel, signal),
    runStep: async (step, ctx) => (await load()).runStep(step, ctx),
    testConnection: async (proxmox, ctx) => (await load()).testConnection(proxmox, ctx),
    capacity: async (proxmox, signal) => (await load()).capacity(proxmox, signal),
    inspect: async (proxmox, target, signal) => (await watch()).inspect(proxmox, target, signal),
    listProductVms: async (proxmox, signal) => (await watch()).listProductVms(proxmox, signal),
    listBackups: async (proxmox, deploymentId, signal) =>
      (await load()).listBackups(proxmox, deploymentId, signal),
    deleteBackup: async (proxmox, deploymentId, volid, signal) =>
      (await load()).deleteBackup(proxmox, deploymentId, volid, signal),
    protectBackup: async (proxmox, deploymentId, volid, protect, signal) =>
      (await load()).protectBackup(proxmox, deploymentId, volid, protect, signal),
    listSnapshots: async (proxmox, deploymentId, signal) =>
      (await load()).listSnapshots(proxmox, deploymentId, signal),
    deleteSnapshot: async (proxmox, deploymentId, name, signal) =>
      (await load()).deleteSnapshot(proxmox, deploymentId, name, signal),
    destroyVm: async (proxmox, vmid, deploymentId, ctx) =>
      (await load()).destroyVm(proxmox, vmid, deploymentId, ctx),
  }
}

async function importExecutors(config: RunConfig): Promise<Executors> {
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
        verifyTimeoutMs: config.verifyTimeoutMs,
        versionListTtlMs: config.versionListTtlMs,
        runnerAddress: config.address ?? null,
        minecraftManifestUrl: config.minecraftManifestUrl,
        paperApiUrl: config.paperApiUrl,
        mojangProfilesUrl: config.mojangProfilesUrl,
        artifactUrlOverride: config.artifactUrl ?? null,
      })
    }
  }
}
