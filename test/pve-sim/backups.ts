import type { Caller, SimCluster, SimVm } from './cluster'
import { storageSpace } from './capacity'
import { SimError, die, paramError, sleep } from './engine'
import type { ParamValue } from './schema'

/**
 * Backups: `vzdump` (pve-manager `API2/VZDump.pm`, `PVE::VZDump`) of one VM to a storage that
 * takes `backup` content, the VM locked `backup` while it runs; its archive listed by the
 * storage's content list with notes and protection, changed and deleted through the volume's own
 * endpoint. An archive keeps a copy of the guest's files (what the simulated game wrote), so a
 * test can see a world come back.
 */

type P = Record<string, ParamValue>

const truthy = (v: ParamValue | undefined): boolean => v === true || v === '1' || v === 1

/** What a backup archive holds besides its listing: the guest's files at the time. */
export interface SimArchive {
  vmid: number
  guestFiles: Record<string, string>
  config: Record<string, string>
}

const pad = (n: number) => String(n).padStart(2, '0')

/** `vzdump-qemu-<vmid>-YYYY_MM_DD-HH_MM_SS.vma.zst`, as vzdump names its archives (UTC here). */
function archiveName(vmid: number, at: Date, compress: string): string {
  const d = at
  const stamp = `${d.getUTCFullYear()}_${pad(d.getUTCMonth() + 1)}_${pad(d.getUTCDate())}-${pad(d.getUTCHours())}_${pad(d.getUTCMinutes())}_${pad(d.getUTCSeconds())}`
  const ext = { zstd: '.zst', gzip: '.gz', lzo: '.lzo', '1': '.lzo', '0': '' }[compress] ?? ''
  return `vzdump-qemu-${vmid}-${stamp}.vma${ext}`
}

/** The variables vzdump expands in `notes-template`; anything else stays as written. */
function renderNotes(template: string, c: SimCluster, vmid: number, guestname: string): string {
  return template
    .replace(/\{\{cluster\}\}/g, 'pgd-sim')
    .replace(/\{\{guestname\}\}/g, guestname)
    .replace(/\{\{node\}\}/g, c.opts.node)
    .replace(/\{\{vmid\}\}/g, String(vmid))
    .replace(/\\n/g, '\n')
}

/** An archive's size: a tenth of the VM's disks (zstd on a mostly empty disk), at least 1 MiB. */
function archiveSize(config: Record<string, string>): number {
  let disks = 0
  for (const [key, value] of Object.entries(config)) {
    if (!/^(scsi|virtio|sata|ide)\d+$/.test(key) || value.includes('media=cdrom')) continue
    const m = /(?:^|,)size=(\d+(?:\.\d+)?)([KMGT]?)/.exec(value)
    if (!m) continue
    const mult = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[m[2] as '']
    disks += Number(m[1]) * mult
  }
  return Math.max(1024 ** 2, Math.round(disks / 10))
}

/** POST /nodes/{node}/vzdump: one VM (the product never asks for more), a task per call. */
export function vzdump(c: SimCluster, p: P, caller: Caller): string {
  const node = String(p.node)
  c.checkNode(node)
  if (p.vmid === undefined) paramError({ vmid: 'property is missing and it is not optional' })
  const ids = String(p.vmid)
    .split(/[,;\s]+/)
    .filter(Boolean)
  if (ids.length !== 1 || !/^\d+$/.test(ids[0]!)) {
    throw new SimError(501, 'the simulator backs up one VM per vzdump call')
  }
  const vmid = Number(ids[0])
  const storage = p.storage === undefined ? 'local' : String(p.storage)
  const st = c.opts.storages.find((s) => s.storage === storage)
  if (!st) die(`storage '${storage}' does not exist`)
  c.requirePriv(caller, `/vms/${vmid}`, 'VM.Backup')
  c.requirePriv(caller, `/storage/${storage}`, 'Datastore.AllocateSpace')
  const vm = c.vm(vmid)
  const mode = p.mode === undefined ? 'snapshot' : String(p.mode)
  const compress = p.compress === undefined ? '0' : String(p.compress)
  return c.tasks.create(node, 'vzdump', String(vmid), caller.tokenId, async (ctx) => {
    ctx.log(`INFO: starting new backup job: vzdump ${vmid} --storage ${storage} --mode ${mode}`)
    if (!st.content.split(',').includes('backup')) {
      throw new Error(`storage '${storage}' does not support backups`)
    }
    ctx.log(`INFO: Starting Backup of VM ${vmid} (qemu)`)
    const release = await c.lockVm(vmid, true, c.opts.timing.lockTimeoutMs)
    const wasRunning = vm.running
    try {
      c.checkLock(vm)
    } catch (err) {
      release()
      throw err
    }
    // Ours from here: the finally below takes it off again.
    vm.config.lock = 'backup'
    release()
    try {
      ctx.log(`INFO: status = ${vm.running ? 'running' : 'stopped'}`)
      ctx.log(`INFO: backup mode: ${mode}`)
      const at = new Date()
      const name = archiveName(vmid, at, compress)
      const dir = storage === 'local' ? '/var/lib/vz' : `/mnt/pve/${storage}`
      ctx.log(`INFO: creating vzdump archive '${dir}/dump/${name}'`)
      if (mode === 'stop' && wasRunning) {
        ctx.log('INFO: stopping virtual guest')
        await c.opts.backend?.shutdown(vmid, 60 * c.opts.timing.secondMs)
        vm.running = false
      }
      await sleep(c.opts.timing.backupMs)
      const size = archiveSize(vm.config)
      if (size > storageSpace(c, storage).avail) {
        throw new Error(
          `ERROR: Backup of VM ${vmid} failed - vma_queue_write: write error - Write failed: No space left on device`,
        )
      }
      const guestname = vm.config.name ?? `VM ${vmid}`
      const notes =
        p['notes-template'] === undefined
          ? undefined
          : renderNotes(String(p['notes-template']), c, vmid, guestname)
      const archive: SimArchive = {
        vmid,
        guestFiles: { ...(vm.guestFiles ?? {}) },
        config: { ...vm.config },
      }
      delete archive.config.lock
      const volid = `${storage}:backup/${name}`
      c.volumes.set(volid, {
        volid,
        content: 'backup',
        format: `vma${name.endsWith('.zst') ? '.zst' : ''}`,
        size,
        ctime: Math.floor(at.getTime() / 1000),
        bytes: Buffer.from(JSON.stringify(archive)),
        vmid,
        notes,
        protected: truthy(p.protected),
      })
      ctx.log(`INFO: archive file size: ${(size / 1024 ** 2).toFixed(2)}MB`)
      ctx.log(`INFO: Finished Backup of VM ${vmid}`)
    } catch (err) {
      // vzdump logs the VM's failure, then ends the job with "job errors".
      const text = err instanceof Error ? err.message : String(err)
      ctx.log(text.startsWith('ERROR:') ? text : `ERROR: Backup of VM ${vmid} failed - ${text}`)
      throw new Error('job errors', { cause: err })
    } finally {
      delete vm.config.lock
      if (mode === 'stop' && wasRunning && !vm.running) {
        ctx.log('INFO: restarting virtual guest')
        vm.running = true
        await c.opts.backend?.start(c.guestView(vm))
      }
    }
  })
}

function backupVolume(c: SimCluster, p: P) {
  c.checkNode(String(p.node))
  const volume = String(p.volume)
  // The volume may be given with or without its storage (`local:backup/x` or `backup/x`).
  const volid = volume.includes(':') ? volume : `${String(p.storage)}:${volume}`
  const vol = c.volumes.get(volid)
  if (!vol) die(`volume '${volid}' does not exist`)
  return vol
}

/** PUT /nodes/{node}/storage/{storage}/content/{volume}: notes and protection of a backup. */
export function updateVolume(c: SimCluster, p: P, caller: Caller): null {
  const vol = backupVolume(c, p)
  const storage = vol.volid.split(':')[0]!
  c.requirePriv(caller, `/storage/${storage}`, 'Datastore.AllocateSpace')
  if (p.protected !== undefined) {
    if (vol.content !== 'backup') die('protection is only supported for backups')
    vol.protected = truthy(p.protected)
  }
  if (p.notes !== undefined) vol.notes = String(p.notes)
  return null
}

/** DELETE /nodes/{node}/storage/{storage}/content/{volume}: a task; protected backups stay. */
export function deleteVolume(c: SimCluster, p: P, caller: Caller): string {
  const vol = backupVolume(c, p)
  const storage = vol.volid.split(':')[0]!
  const node = String(p.node)
  const backupOfAllowedVm =
    vol.content === 'backup' &&
    vol.vmid !== undefined &&
    c.hasPriv(caller, `/vms/${vol.vmid}`, 'VM.Backup') &&
    c.hasPriv(caller, `/storage/${storage}`, 'Datastore.AllocateSpace')
  if (!backupOfAllowedVm) c.requirePriv(caller, `/storage/${storage}`, 'Datastore.Allocate')
  // pvesm's worker has no id (the volume id holds colons, which a UPID field cannot).
  return c.tasks.create(node, 'imgdel', '', caller.tokenId, async () => {
    if (vol.protected) throw new Error(`volume '${vol.volid}' is protected`)
    await sleep(c.opts.timing.destroyMs)
    c.volumes.delete(vol.volid)
  })
}

/**
 * POST /nodes/{node}/qemu with `archive`: restore a backup over an existing VM (`force`), which
 * must be stopped and unlocked; `VM.Backup` on it is enough (qemu-server `API2/Qemu.pm`). The
 * config and the guest's files come back from the archive; the VM is locked `create` meanwhile.
 * To a new id, it needs `VM.Allocate` there (or on the pool it names) and makes the VM, with new
 * MAC addresses when `unique`.
 */
export function restoreVm(c: SimCluster, p: P, caller: Caller): string {
  const node = String(p.node)
  const vmid = Number(p.vmid)
  const volid = String(p.archive)
  const exists = c.vms.has(vmid)
  if (!exists) return restoreToNewVm(c, p, caller)
  if (!c.hasPriv(caller, `/vms/${vmid}`, 'VM.Backup'))
    c.requirePriv(caller, `/vms/${vmid}`, 'VM.Allocate')
  if (!truthy(p.force)) die(`unable to restore VM ${vmid} - config file already exists`)
  const storage = volid.split(':')[0] ?? ''
  if (
    !c.hasPriv(caller, `/storage/${storage}`, 'Datastore.Audit') &&
    !c.hasPriv(caller, `/storage/${storage}`, 'Datastore.AllocateSpace')
  ) {
    throw new SimError(403, `Permission check failed (/storage/${storage}, Datastore.Audit)`)
  }
  const vol = c.volumes.get(volid)
  if (!vol || vol.content !== 'backup') die(`volume '${volid}' does not exist`)
  const vm = c.vm(vmid)
  return c.tasks.create(node, 'qmrestore', String(vmid), caller.tokenId, async (ctx) => {
    const release = await c.lockVm(vmid, true, c.opts.timing.lockTimeoutMs)
    try {
      c.checkLock(vm)
      if (vm.running) throw new Error(`unable to restore VM ${vmid} - VM is running`)
      vm.config.lock = 'create'
    } finally {
      release()
    }
    try {
      const archive = await readArchive(c, vol, ctx)
      vm.config = { ...archive.config }
      vm.guestFiles = { ...archive.guestFiles }
      ctx.log(`restore of VM ${vmid} from ${volid} done`)
    } finally {
      delete vm.config.lock
    }
  })
}

/** The archive's storage may be read by the caller (Datastore.Audit or AllocateSpace). */
function archiveReadable(c: SimCluster, caller: Caller, volid: string): void {
  const storage = volid.split(':')[0] ?? ''
  if (
    !c.hasPriv(caller, `/storage/${storage}`, 'Datastore.Audit') &&
    !c.hasPriv(caller, `/storage/${storage}`, 'Datastore.AllocateSpace')
  ) {
    throw new SimError(403, `Permission check failed (/storage/${storage}, Datastore.Audit)`)
  }
}

/** A restore to an id no VM has: the VM is made from the archive, locked `create` meanwhile. */
function restoreToNewVm(c: SimCluster, p: P, caller: Caller): string {
  const node = String(p.node)
  const vmid = Number(p.vmid)
  const volid = String(p.archive)
  const pool = p.pool === undefined ? undefined : String(p.pool)
  if (
    !c.hasPriv(caller, `/vms/${vmid}`, 'VM.Allocate') &&
    !(pool !== undefined && c.hasPriv(caller, `/pool/${pool}`, 'VM.Allocate'))
  ) {
    throw new SimError(403, 'Permission check failed')
  }
  if (pool !== undefined && !c.pools.has(pool)) {
    throw new SimError(403, `Permission check failed (pool '${pool}' does not exist)`)
  }
  const target = p.storage === undefined ? undefined : String(p.storage)
  if (target !== undefined) c.requirePriv(caller, `/storage/${target}`, 'Datastore.AllocateSpace')
  archiveReadable(c, caller, volid)
  const vol = c.volumes.get(volid)
  if (!vol || vol.content !== 'backup') die(`volume '${volid}' does not exist`)
  return c.tasks.create(node, 'qmrestore', String(vmid), caller.tokenId, async (ctx) => {
    const release = await c.lockVm(vmid, true, c.opts.timing.lockTimeoutMs)
    let vm: SimVm
    try {
      if (c.vms.has(vmid))
        throw new Error(`unable to restore VM ${vmid} - config file already exists`)
      vm = {
        vmid,
        running: false,
        createdAt: Date.now(),
        foreign: false,
        config: { lock: 'create' },
      }
      c.vms.set(vmid, vm)
    } finally {
      release()
    }
    try {
      const archive = await readArchive(c, vol, ctx)
      const config: Record<string, string> = {}
      for (const [k, v] of Object.entries(archive.config)) {
        let value = v
        if (/^net\d+$/.test(k) && truthy(p.unique))
          value = v.replace(/=([0-9A-F]{2}:){5}[0-9A-F]{2}/i, `=${c.newMac()}`)
        if (
          /^(scsi|virtio|sata|ide)\d+$/.test(k) &&
          target !== undefined &&
          !v.includes('media=cdrom')
        )
          value = v.replace(/^[^:]+:vm-\d+-/, `${target}:vm-${vmid}-`)
        config[k] = value
      }
      vm.config = { ...config, lock: 'create' }
      vm.guestFiles = { ...archive.guestFiles }
      if (pool !== undefined) c.addToPool(vmid, pool)
      ctx.log(`restore of VM ${vmid} from ${volid} done`)
    } catch (err) {
      c.vms.delete(vmid)
      throw err
    } finally {
      delete vm.config.lock
    }
  })
}

/** An archive's contents, read as long as a restore takes. */
async function readArchive(
  c: SimCluster,
  vol: { volid: string; bytes: Buffer },
  ctx: { log: (line: string) => void },
): Promise<SimArchive> {
  ctx.log(`restore vma archive: zstd -q -d -c ${vol.volid}`)
  await sleep(c.opts.timing.backupMs)
  return JSON.parse(vol.bytes.toString('utf8')) as SimArchive
}
