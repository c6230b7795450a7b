import type { OrphanReason, OrphanVm } from '../../../core/deployment-api'
import { SETTLED } from '../../../core/deployment/status'
import type { ProductVm } from '../../../core/protocol'
import { systemAudit } from '../../db/audit-log'
import { deploymentsByIds, type DeploymentOfVm } from '../../db/deployments'
import { getCleanupPolicy } from '../../lib/cleanup'
import { loadProxmoxConnection } from '../../settings/proxmox'
import { encodeHubToRunner } from '../../../core/protocol'
import type { RunnerRequests } from './requests'
import type { RunnerSockets } from './sockets'
import { sweepIntervalMs } from './timing'

/** A destroy of an orphan: shutdown, delete, and the tasks' waits. */
const ORPHAN_DESTROY_TIMEOUT_MS = 5 * 60_000
const SWEEP_KEY = 'sweep'

/** What the last sweep found, kept in the hub's storage. */
interface SweepRecord {
  sweptAt: number
  orphans: OrphanVm[]
}

export type OrphanDestroyResult =
  | { ok: true; message: string }
  | { ok: false; code: 'not_found' | 'no_runner_online' | 'destroy_failed'; message: string }

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

/**
 * Orphaned VMs: what a sweep found that no live deployment owns, the list the dashboard shows,
 * and their destroy (on request, or at once when the cleanup policy says so).
 */
export class Orphans {
  private autoDestroying = false

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly env: Env,
    private readonly sockets: RunnerSockets,
    private readonly requests: RunnerRequests,
  ) {}

  private async record(): Promise<SweepRecord | null> {
    return (await this.ctx.storage.get<SweepRecord>(SWEEP_KEY)) ?? null
  }

  /** A sweep's list of this product's VMs: keep the orphans, destroy them if the policy says so. */
  async sweepReported(vms: readonly ProductVm[], at: number): Promise<void> {
    const ids = [...new Set(vms.flatMap((v) => (v.deploymentId ? [v.deploymentId] : [])))]
    const deployments = new Map(
      (await deploymentsByIds(this.env.DB, ids)).map((d) => [d.id.toLowerCase(), d]),
    )
    const previous = new Map((await this.record())?.orphans.map((o) => [o.vmid, o]) ?? [])
    const orphans = findOrphans(vms, deployments, previous, at)
    await this.ctx.storage.put(SWEEP_KEY, { sweptAt: at, orphans } satisfies SweepRecord)
    const fresh = orphans.filter((o) => !previous.has(o.vmid))
    if (fresh.length > 0) {
      await systemAudit(this.env.DB, 'orphans.found', {
        details: { vms: fresh.map((o) => ({ vmid: o.vmid, reason: o.reason })) },
      })
    }
    if (
      orphans.length > 0 &&
      !this.autoDestroying &&
      (await getCleanupPolicy(this.env.DB)).orphans === 'destroy'
    ) {
      this.autoDestroying = true
      // Not awaited: the runner answers on this very socket, which this handler must not block.
      this.ctx.waitUntil(
        (async () => {
          try {
            for (const o of orphans) {
              const result = await this.destroy(o.vmid)
              await systemAudit(this.env.DB, 'orphan.auto_destroyed', {
                target: String(o.vmid),
                details: { policy: 'orphans=destroy', reason: o.reason, ...result },
              })
            }
          } finally {
            this.autoDestroying = false
          }
        })(),
      )
    }
  }

  /** What the last sweep found. */
  async list(): Promise<{
    orphans: OrphanVm[]
    sweptAt: number | null
    /** How often a runner sweeps (0: never). */
    sweepIntervalMs: number
  }> {
    const record = await this.record()
    return {
      orphans: record?.orphans ?? [],
      sweptAt: record?.sweptAt ?? null,
      sweepIntervalMs: sweepIntervalMs(this.env),
    }
  }

  /** Destroy an orphan the last sweep reported, on an online runner. */
  async destroy(vmid: number): Promise<OrphanDestroyResult> {
    const record = await this.record()
    const orphan = record?.orphans.find((o) => o.vmid === vmid)
    if (!record || !orphan) {
      return {
        ok: false,
        code: 'not_found',
        message: `VM ${vmid} is not in the list of orphaned VMs (any more).`,
      }
    }
    const runner = this.sockets
      .ready()
      .sort((a, b) => a.att.runnerId.localeCompare(b.att.runnerId))[0]
    const proxmox = await loadProxmoxConnection(this.env).catch(() => null)
    if (!runner || !proxmox) {
      return {
        ok: false,
        code: 'no_runner_online',
        message: 'No runner is online to destroy it: start one (Runners).',
      }
    }
    const result = await this.requests
      .ask<{ ok: boolean; message: string }>(
        runner.ws,
        (requestId) =>
          encodeHubToRunner({
            type: 'vm.destroy',
            requestId,
            proxmox,
            vmid,
            deploymentId: orphan.deploymentId,
          }),
        ORPHAN_DESTROY_TIMEOUT_MS,
        () => ({
          ok: false,
          message: `The runner ${runner.att.name} did not answer within ${ORPHAN_DESTROY_TIMEOUT_MS / 60_000} minutes.`,
        }),
      )
      .catch((err: unknown) => ({ ok: false, message: `runner gone: ${String(err)}` }))
    if (!result.ok) return { ok: false, code: 'destroy_failed', message: result.message }
    const now = await this.record()
    if (now) {
      now.orphans = now.orphans.filter((o) => o.vmid !== vmid)
      await this.ctx.storage.put(SWEEP_KEY, now)
    }
    return { ok: true, message: result.message }
  }
}
