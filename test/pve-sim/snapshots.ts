import type { Caller, SimCluster, SimVm } from './cluster'
import { SimError, die, sleep } from './engine'
import type { ParamValue } from './schema'

/**
 * VM snapshots (qemu-server `API2/Qemu.pm` `snapshot`, `delsnapshot`, `rollback`, `snapshot_list`;
 * pve-guest-common `PVE::AbstractConfig` `snapshot_create`, `snapshot_delete`,
 * `snapshot_rollback`): tasks that lock the VM (`snapshot`, `snapshot-delete`, `rollback`) and
 * refuse a locked one with PVE's text. A snapshot keeps the VM's config and the guest's files
 * (what the simulated game wrote), so a rollback brings the old game settings and world back.
 * Disk-only snapshots (no `vmstate`): a rollback stops a running VM, and starts it again only
 * with `start`.
 */

type P = Record<string, ParamValue>

const truthy = (v: ParamValue | undefined): boolean => v === true || v === '1' || v === 1

export interface SimSnapshot {
  name: string
  description: string
  snaptime: number
  parent?: string
  config: Record<string, string>
  guestFiles: Record<string, string>
}

/** Storage types whose volumes take snapshots (raw files on a directory storage do not). */
const SNAPSHOT_TYPES = new Set(['lvmthin', 'zfspool', 'rbd', 'btrfs'])

function checkSnapshotFeature(c: SimCluster, vm: SimVm): void {
  for (const [key, value] of Object.entries(vm.config)) {
    if (!/^(scsi|virtio|sata|ide)\d+$/.test(key) || value.includes('media=cdrom')) continue
    const volume = value.split(',')[0] ?? ''
    const storage = c.opts.storages.find((s) => s.storage === volume.split(':')[0])
    if (!storage) continue
    if (!SNAPSHOT_TYPES.has(storage.type) && !volume.endsWith('.qcow2'))
      die('snapshot feature is not available')
  }
}

function start(c: SimCluster, p: P, caller: Caller, privs: string[]) {
  const node = String(p.node)
  const vmid = Number(p.vmid)
  c.checkNode(node)
  if (!privs.some((priv) => c.hasPriv(caller, `/vms/${vmid}`, priv)))
    c.requirePriv(caller, `/vms/${vmid}`, privs[0]!)
  return { node, vmid, vm: c.vm(vmid) }
}

/** Lock the VM `lock` for `work` (check_lock first), under its flock for the config edits. */
async function locked(c: SimCluster, vm: SimVm, lock: string, work: () => Promise<void>) {
  const release = await c.lockVm(vm.vmid, true, c.opts.timing.lockTimeoutMs)
  try {
    c.checkLock(vm)
    vm.config.lock = lock
  } finally {
    release()
  }
  try {
    await work()
  } finally {
    delete vm.config.lock
  }
}

/** GET …/snapshot: every snapshot, then `current` ("You are here!") with its parent. */
export function listSnapshots(c: SimCluster, p: P, caller: Caller): unknown[] {
  const { vm } = start(c, p, caller, ['VM.Audit'])
  const snaps = vm.snapshots ?? []
  const last = snaps.at(-1)
  return [
    ...snaps.map((s) => ({
      name: s.name,
      description: s.description,
      snaptime: s.snaptime,
      vmstate: false,
      ...(s.parent ? { parent: s.parent } : {}),
    })),
    {
      name: 'current',
      description: 'You are here!',
      running: vm.running ? 1 : 0,
      ...(last ? { parent: last.name } : {}),
    },
  ]
}

/** POST …/snapshot: a disk-only snapshot of the config and the guest's files. */
export function createSnapshot(c: SimCluster, p: P, caller: Caller): string {
  const { node, vmid, vm } = start(c, p, caller, ['VM.Snapshot'])
  const name = String(p.snapname)
  if (name === 'current') die("unable to use snapshot name 'current' (reserved name)")
  if (name.toLowerCase() === 'pending') die("unable to use snapshot name 'pending' (reserved name)")
  if (truthy(p.vmstate)) throw new SimError(501, 'the simulator takes disk-only snapshots')
  return c.tasks.create(node, 'qmsnapshot', String(vmid), caller.tokenId, async (ctx) => {
    if (c.isTemplate(vm)) throw new Error("you can't take a snapshot if it's a template")
    await locked(c, vm, 'snapshot', async () => {
      if ((vm.snapshots ?? []).some((s) => s.name === name))
        throw new Error(`snapshot name '${name}' already used`)
      checkSnapshotFeature(c, vm)
      if (vm.running) ctx.log("issuing guest-agent 'fs-freeze' command")
      await sleep(c.opts.timing.snapshotMs)
      const config = { ...vm.config }
      delete config.lock
      const parent = vm.snapshots?.at(-1)?.name
      vm.snapshots = [
        ...(vm.snapshots ?? []),
        {
          name,
          description: p.description === undefined ? '' : String(p.description),
          snaptime: Math.floor(Date.now() / 1000),
          ...(parent ? { parent } : {}),
          config,
          guestFiles: { ...(vm.guestFiles ?? {}) },
        },
      ]
      if (vm.running) ctx.log("issuing guest-agent 'fs-thaw' command")
    })
  })
}

function snapshotOf(vm: SimVm, name: string): SimSnapshot {
  const snap = vm.snapshots?.find((s) => s.name === name)
  if (!snap) throw new Error(`snapshot '${name}' does not exist`)
  return snap
}

/** DELETE …/snapshot/{snapname}: the snapshot goes, the VM stays as it is. */
export function deleteSnapshot(c: SimCluster, p: P, caller: Caller): string {
  const { node, vmid, vm } = start(c, p, caller, ['VM.Snapshot'])
  const name = String(p.snapname)
  return c.tasks.create(node, 'qmdelsnapshot', String(vmid), caller.tokenId, async () => {
    snapshotOf(vm, name)
    await locked(c, vm, 'snapshot-delete', async () => {
      await sleep(c.opts.timing.snapshotMs)
      const snaps = vm.snapshots ?? []
      const gone = snaps.find((s) => s.name === name)
      // Children of the deleted snapshot now descend from its parent.
      vm.snapshots = snaps
        .filter((s) => s.name !== name)
        .map((s) => {
          if (s.parent !== name) return s
          const { parent: _old, ...rest } = s
          return gone?.parent ? { ...rest, parent: gone.parent } : rest
        })
    })
  })
}

/** POST …/snapshot/{snapname}/rollback: config and files back; a running VM is stopped first. */
export function rollbackSnapshot(c: SimCluster, p: P, caller: Caller): string {
  const { node, vmid, vm } = start(c, p, caller, ['VM.Snapshot', 'VM.Snapshot.Rollback'])
  const name = String(p.snapname)
  return c.tasks.create(node, 'qmrollback', String(vmid), caller.tokenId, async (ctx) => {
    if (c.isTemplate(vm)) throw new Error("you can't rollback if vm is a template")
    const snap = snapshotOf(vm, name)
    await locked(c, vm, 'rollback', async () => {
      if (vm.running) {
        ctx.log(`stopping VM ${vmid} (no RAM state in snapshot '${name}')`)
        await c.opts.backend?.stop(vmid)
        vm.running = false
      }
      await sleep(c.opts.timing.snapshotMs)
      const snapshots = vm.snapshots
      vm.config = { ...snap.config, lock: 'rollback' }
      vm.snapshots = snapshots
      vm.guestFiles = { ...snap.guestFiles }
    })
    if (truthy(p.start)) {
      ctx.log(`starting VM ${vmid}`)
      vm.running = true
      await c.opts.backend?.start(c.guestView(vm))
    }
  })
}
