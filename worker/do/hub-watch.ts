import type { OrphanReason, OrphanVm } from '../../core/deployment-api'
import { SETTLED, type DeploymentStatus } from '../../core/deployment-state'
import type { ProductVm, WatchTarget } from '../../core/protocol'

/**
 * What the hub decides about the deployed VMs, as plain functions: which runner watches which
 * deployment, and which VMs a sweep found that no live deployment owns.
 */

export interface WatchedRow {
  id: string
  vmid: number
  ip: string
  game: string
  inputs_json: string
  runner_id: string | null
}

/** A watched deployment with its whole config (sensitive fields opened by the caller). */
export interface WatchedDeployment {
  target: WatchTarget
  runnerId: string | null
}

/**
 * Each watched deployment goes to the runner that last ran its jobs when it is online (it is on
 * the right network), else to the first online runner; one runner (the first) also sweeps.
 */
export function assignWatch(
  watched: readonly WatchedDeployment[],
  online: readonly string[],
): Map<string, { targets: WatchTarget[]; sweeps: boolean }> {
  const sorted = [...online].sort()
  const out = new Map(
    sorted.map((id, i) => [id, { targets: [] as WatchTarget[], sweeps: i === 0 }]),
  )
  const fallback = sorted[0]
  if (fallback === undefined) return out
  for (const w of watched) {
    const runner = w.runnerId && out.has(w.runnerId) ? w.runnerId : fallback
    out.get(runner)?.targets.push(w.target)
  }
  return out
}

export interface DeploymentOfVm {
  id: string
  name: string
  status: DeploymentStatus
  vmid: number | null
}

/**
 * The VMs of a sweep that no live deployment owns. A deployment still on its way (no VM recorded
 * yet, or a job running) owns every VM that carries its id: a clone may be in flight.
 */
export function findOrphans(
  vms: readonly ProductVm[],
  deployments: ReadonlyMap<string, DeploymentOfVm>,
  previous: ReadonlyMap<number, OrphanVm>,
  now: number,
): OrphanVm[] {
  const out: OrphanVm[] = []
  for (const vm of vms) {
    const d = vm.deploymentId ? deployments.get(vm.deploymentId.toLowerCase()) : undefined
    let reason: OrphanReason | null
    if (!d) reason = 'unknown_deployment'
    else if (d.status === 'destroyed') reason = 'deployment_destroyed'
    else if (SETTLED.includes(d.status) && d.vmid !== null && d.vmid !== vm.vmid)
      reason = 'duplicate_vm'
    else reason = null
    if (!reason) continue
    const before = previous.get(vm.vmid)
    out.push({
      vmid: vm.vmid,
      name: vm.name,
      status: vm.status,
      deploymentId: vm.deploymentId,
      deploymentName: d?.name ?? null,
      reason,
      // The same VM for the same reason keeps the time it was first seen.
      firstSeenAt:
        before && before.reason === reason && before.deploymentId === vm.deploymentId
          ? before.firstSeenAt
          : now,
    })
  }
  return out.sort((a, b) => a.vmid - b.vmid)
}
