import * as z from 'zod'
import { SNAPSHOT_PREFIX } from '../../../core/change-plan'
import type { ProxmoxClient } from './client'
import { ProxmoxTaskError, errorText } from './errors'
import { waitUnlocked } from './vm-common'

/**
 * VM snapshots against the Proxmox API (`…/qemu/{vmid}/snapshot`): taken before a change, rolled
 * back to when it fails, the product's own beyond a cap deleted. Every function is safe to run
 * again after a crash: a snapshot that exists is not taken twice, one already gone is not
 * deleted twice, and a VM still locked by a snapshot task of the crashed runner is waited for.
 */

export interface SnapshotContext {
  log: (line: string) => void
  signal: AbortSignal
}

export interface SnapshotTimeouts {
  /** One snapshot, rollback or delete task. */
  taskMs: number
  /** A VM still locked by an earlier task (a crashed runner's snapshot). */
  unlockMs: number
}

export const DEFAULT_SNAPSHOT_TIMEOUTS: SnapshotTimeouts = {
  taskMs: 30 * 60_000,
  unlockMs: 30 * 60_000,
}

const SnapshotList = z.array(
  z.object({
    name: z.string(),
    description: z.string().optional(),
    snaptime: z.number().optional(),
    parent: z.string().optional(),
  }),
)

export interface VmSnapshot {
  name: string
  description: string
  /** Epoch seconds. */
  snaptime: number
  /** The snapshot it was taken after, or null. */
  parent: string | null
}

function base(client: ProxmoxClient, vmid: number): string {
  return `/nodes/${encodeURIComponent(client.node)}/qemu/${vmid}/snapshot`
}

/** The VM's snapshots, oldest first (`current`, the running state, left out). */
export async function listSnapshots(
  client: ProxmoxClient,
  vmid: number,
  signal: AbortSignal,
): Promise<VmSnapshot[]> {
  const raw = SnapshotList.parse(await client.call('GET', base(client, vmid), {}, signal))
  return raw
    .filter((s) => s.name !== 'current')
    .map((s) => ({
      name: s.name,
      description: s.description ?? '',
      snaptime: s.snaptime ?? 0,
      parent: s.parent ?? null,
    }))
    .sort((a, b) => a.snaptime - b.snaptime)
}

/** A task's failure in Proxmox's own words (the last line that says what went wrong). */
function taskError(what: string, err: unknown): Error {
  if (err instanceof ProxmoxTaskError) {
    const line = [...err.logTail].reverse().find((l) => l.trim() !== '' && l !== 'TASK ERROR')
    return new Error(`${what} failed: ${err.exitstatus || line || 'see the log'}`, { cause: err })
  }
  return new Error(`${what} failed: ${errorText(err)}`, { cause: err })
}

async function runTask(
  client: ProxmoxClient,
  method: 'POST' | 'DELETE',
  path: string,
  params: Record<string, string | number | boolean | undefined>,
  what: string,
  ctx: SnapshotContext,
  timeouts: SnapshotTimeouts,
): Promise<void> {
  let upid: string | null
  try {
    upid = await client.callTask(method, path, params, ctx.signal)
  } catch (err) {
    ctx.signal.throwIfAborted()
    throw taskError(what, err)
  }
  if (!upid) return
  try {
    await client.waitTask(upid, { timeoutMs: timeouts.taskMs, log: ctx.log, signal: ctx.signal })
  } catch (err) {
    ctx.signal.throwIfAborted()
    throw taskError(what, err)
  }
}

/** Take the snapshot `name` (disk only), unless this VM already has it. */
export async function takeSnapshot(
  client: ProxmoxClient,
  vmid: number,
  name: string,
  description: string,
  ctx: SnapshotContext,
  timeouts: SnapshotTimeouts = DEFAULT_SNAPSHOT_TIMEOUTS,
): Promise<void> {
  await waitUnlocked(client, vmid, timeouts.unlockMs, ctx)
  if ((await listSnapshots(client, vmid, ctx.signal)).some((s) => s.name === name)) {
    ctx.log(`snapshot ${name} of VM ${vmid} exists already (taken before a runner restart)`)
    return
  }
  ctx.log(`taking snapshot ${name} of VM ${vmid}`)
  await runTask(
    client,
    'POST',
    base(client, vmid),
    { snapname: name, description: description.slice(0, 8_000) },
    `snapshot ${name}`,
    ctx,
    timeouts,
  )
  ctx.log(`snapshot ${name} taken`)
}

/** Roll the VM back to `name` (it stops, its disks and config return), then start it. */
export async function rollbackTo(
  client: ProxmoxClient,
  vmid: number,
  name: string,
  ctx: SnapshotContext,
  timeouts: SnapshotTimeouts = DEFAULT_SNAPSHOT_TIMEOUTS,
): Promise<void> {
  await waitUnlocked(client, vmid, timeouts.unlockMs, ctx)
  if (!(await listSnapshots(client, vmid, ctx.signal)).some((s) => s.name === name))
    throw new Error(`VM ${vmid} has no snapshot ${name} to roll back to`)
  ctx.log(`rolling VM ${vmid} back to snapshot ${name}, then starting it`)
  await runTask(
    client,
    'POST',
    `${base(client, vmid)}/${encodeURIComponent(name)}/rollback`,
    { start: true },
    `rollback to ${name}`,
    ctx,
    timeouts,
  )
  ctx.log(`VM ${vmid} is back to snapshot ${name}`)
}

/** Delete the snapshot `name`; one already gone is not an error. */
export async function deleteSnapshot(
  client: ProxmoxClient,
  vmid: number,
  name: string,
  ctx: SnapshotContext,
  timeouts: SnapshotTimeouts = DEFAULT_SNAPSHOT_TIMEOUTS,
): Promise<void> {
  await waitUnlocked(client, vmid, timeouts.unlockMs, ctx)
  if (!(await listSnapshots(client, vmid, ctx.signal)).some((s) => s.name === name)) {
    ctx.log(`snapshot ${name} is already gone`)
    return
  }
  await runTask(
    client,
    'DELETE',
    `${base(client, vmid)}/${encodeURIComponent(name)}`,
    {},
    `deleting snapshot ${name}`,
    ctx,
    timeouts,
  )
  ctx.log(`snapshot ${name} deleted`)
}

/** Delete the product's snapshots beyond the newest `keep`; anyone else's stay. */
export async function pruneSnapshots(
  client: ProxmoxClient,
  vmid: number,
  keep: number,
  ctx: SnapshotContext,
  timeouts: SnapshotTimeouts = DEFAULT_SNAPSHOT_TIMEOUTS,
): Promise<string[]> {
  const ours = (await listSnapshots(client, vmid, ctx.signal)).filter((s) =>
    s.name.startsWith(SNAPSHOT_PREFIX),
  )
  const drop = ours.slice(0, Math.max(0, ours.length - keep))
  if (drop.length === 0) ctx.log(`${ours.length} snapshot(s) of this product kept (cap ${keep})`)
  for (const s of drop) await deleteSnapshot(client, vmid, s.name, ctx, timeouts)
  return drop.map((s) => s.name)
}
