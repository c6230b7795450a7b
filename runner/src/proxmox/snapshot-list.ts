import type { ProxmoxConnection } from '../../../core/settings'
import { isProductSnapshot, type SnapshotEntry } from '../../../core/snapshots'
import type { StepPools } from './backup-executor'
import { deleteSnapshot, listSnapshots } from './snapshot-steps'
import type { VmSteps } from './vm-steps'

/**
 * The deployment page's snapshot list and its delete, on the executor's pools. The VM is found by
 * the deployment's tag (never by an id the hub sends), so only that deployment's VM is touched.
 */
export function createSnapshotLister(pools: Pick<StepPools, 'withSteps'>) {
  async function vmOf(steps: VmSteps, deploymentId: string, signal: AbortSignal) {
    const found = await steps.findVmByDeployment(deploymentId, { log: () => {}, signal })
    if (!found) throw new Error(`no VM on the node carries deployment ${deploymentId}`)
    return found.vmid
  }

  async function entries(steps: VmSteps, vmid: number, signal: AbortSignal) {
    const list = await listSnapshots(steps.client, vmid, signal)
    return list
      .map((s): SnapshotEntry => ({
        name: s.name,
        snaptime: Math.max(0, Math.floor(s.snaptime)),
        description: s.description.slice(0, 8_192),
        parent: s.parent === 'current' ? null : (s.parent?.slice(0, 64) ?? null),
        ours: isProductSnapshot(s.name),
      }))
      .reverse()
  }

  /** The VM's snapshots, newest first (`current`, the running state, left out). */
  function listVmSnapshots(proxmox: ProxmoxConnection, deploymentId: string, signal: AbortSignal) {
    return pools.withSteps(
      proxmox,
      () => undefined,
      async (steps) => entries(steps, await vmOf(steps, deploymentId, signal), signal),
    )
  }

  /** Delete one of the VM's snapshots (the task waited for); one already gone is not an error. */
  function removeVmSnapshot(
    proxmox: ProxmoxConnection,
    deploymentId: string,
    name: string,
    signal: AbortSignal,
  ) {
    return pools.withSteps(
      proxmox,
      () => undefined,
      async (steps) => {
        const vmid = await vmOf(steps, deploymentId, signal)
        if (!(await listSnapshots(steps.client, vmid, signal)).some((s) => s.name === name))
          throw new Error(`VM ${vmid} has no snapshot ${name}`)
        await deleteSnapshot(
          steps.client,
          vmid,
          name,
          { log: () => {}, signal },
          { taskMs: 60_000, unlockMs: 10_000 },
        )
      },
    )
  }

  return { listVmSnapshots, removeVmSnapshot }
}
