import { createHash } from 'node:crypto'
import type { Caller, SimCluster } from './cluster'
import { uuid } from './cluster'
import { SimError, die, paramError, sleep } from './engine'
import { normaliseNet, normaliseTags, privilegeFor } from './qemu-config'
import { restoreVm } from './backups'
import type { ParamValue } from './schema'

/**
 * Images on storages, and VMs made from them: `download-url` (pve-manager `API2/Storage/Status.pm`
 * with `PVE::Tools::download_file_from_url`), the storage content list, `POST /nodes/{node}/qemu`
 * with `import-from` (qemu-server `create_vm`) and the conversion to a template. The simulator
 * downloads only from 127.0.0.0/8: tests serve the "image" themselves.
 */

type P = Record<string, ParamValue>

export interface SimVolume {
  volid: string
  content: string
  format: string
  size: number
  ctime: number
  bytes: Buffer
  /** Backups: the VM they are of, their notes, whether they are protected from deletion. */
  vmid?: number
  notes?: string
  protected?: boolean
}

function storageOf(cluster: SimCluster, id: string) {
  const st = cluster.opts.storages.find((s) => s.storage === id)
  if (!st) die(`storage '${id}' does not exist`)
  return st
}

/** Where a dir storage keeps a file of this content type (`local` → /var/lib/vz). */
function pathOf(storage: string, content: string, filename: string): string {
  const dir = storage === 'local' ? '/var/lib/vz' : `/mnt/pve/${storage}`
  return `${dir}/${content === 'iso' ? 'template/iso' : content}/${filename}`
}

const isLoopback = (host: string): boolean =>
  /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === 'localhost'

/** GET /nodes/{node}/storage/{storage}/content. */
export function storageContent(cluster: SimCluster, p: P, caller: Caller): unknown[] {
  cluster.checkNode(String(p.node))
  const storage = String(p.storage)
  if (
    !cluster.hasPriv(caller, `/storage/${storage}`, 'Datastore.Audit') &&
    !cluster.hasPriv(caller, `/storage/${storage}`, 'Datastore.AllocateSpace')
  ) {
    throw new SimError(403, `Permission check failed (/storage/${storage}, Datastore.Audit)`)
  }
  storageOf(cluster, storage)
  return [...cluster.volumes.values()]
    .filter((v) => v.volid.startsWith(`${storage}:`))
    .filter((v) => p.content === undefined || v.content === p.content)
    .filter((v) => p.vmid === undefined || v.vmid === Number(p.vmid))
    .map((v) => ({
      volid: v.volid,
      content: v.content,
      format: v.format,
      size: v.size,
      ctime: v.ctime,
      ...(v.vmid !== undefined ? { vmid: v.vmid } : {}),
      ...(v.content === 'backup' ? { subtype: 'qemu', protected: v.protected ?? false } : {}),
      // Only the first line of the notes, as PVE lists them.
      ...(v.notes !== undefined ? { notes: v.notes.split('\n')[0] } : {}),
    }))
}

/** POST /nodes/{node}/storage/{storage}/download-url. */
export function downloadUrl(cluster: SimCluster, p: P, caller: Caller): string {
  const node = String(p.node)
  cluster.checkNode(node)
  const storage = String(p.storage)
  const content = String(p.content)
  const filename = String(p.filename)
  const url = String(p.url)
  // The schema's check: allocation on the storage, and a way to probe the node's network.
  cluster.requirePriv(caller, `/storage/${storage}`, 'Datastore.AllocateTemplate')
  const mayProbe =
    (cluster.hasPriv(caller, '/', 'Sys.Audit') && cluster.hasPriv(caller, '/', 'Sys.Modify')) ||
    cluster.hasPriv(caller, `/nodes/${node}`, 'Sys.AccessNetwork')
  if (!mayProbe) throw new SimError(403, 'Permission check failed')
  const st = storageOf(cluster, storage)
  if (!st.content.split(',').includes(content))
    die(`storage '${storage}' is not configured for content-type '${content}'`)
  const extension = content === 'import' ? /\.(ova|ovf|qcow2|raw|vmdk)$/ : /\.(iso|img)$/
  if (content !== 'vztmpl' && !extension.test(filename))
    paramError({ filename: 'wrong file extension' })
  const algorithm = p['checksum-algorithm'] === undefined ? null : String(p['checksum-algorithm'])
  const expected = p.checksum === undefined ? null : String(p.checksum).toLowerCase()
  if ((algorithm === null) !== (expected === null))
    paramError(algorithm ? { checksum: 'missing' } : { 'checksum-algorithm': 'missing' })
  const volid = `${storage}:${content === 'iso' ? 'iso' : content}/${filename}`
  const dest = pathOf(storage, content, filename)
  const hash = (bytes: Buffer): string =>
    createHash(algorithm ?? 'sha512')
      .update(bytes)
      .digest('hex')
  return cluster.tasks.create(node, 'download', filename, caller.tokenId, async (ctx) => {
    ctx.log(`downloading ${url} to ${dest}`)
    const existing = cluster.volumes.get(volid)
    if (existing) {
      if (expected === null) throw new Error(`refusing to override existing file '${dest}'`)
      const got = hash(existing.bytes)
      if (got === expected) {
        ctx.log(
          'calculating checksum of existing file...OK, got correct file already, no need to download',
        )
        return
      }
      throw new Error(`checksum mismatch: got '${got}' != expect '${expected}', aborting`)
    }
    const tmp = `${dest}.tmp.${process.pid}`
    const wget = `command 'wget --progress=dot:giga -O ${tmp} ${url}' failed`
    let bytes: Buffer
    try {
      if (!isLoopback(new URL(url).hostname)) throw new Error('outside 127.0.0.0/8')
      const res = await fetch(url, { signal: AbortSignal.timeout(30_000), redirect: 'error' })
      // wget's exit code 8: the server answered with an error.
      if (!res.ok) throw new Error(`HTTP ${res.status}`)
      bytes = Buffer.from(await res.arrayBuffer())
    } catch (err) {
      cluster.opts.log(`download-url ${url}: ${String(err)}`)
      throw new Error(
        `download failed: ${wget}: exit code ${/outside/.test(String(err)) ? 4 : 8}`,
        { cause: err },
      )
    }
    await sleep(cluster.opts.timing.downloadMs)
    ctx.log(`${bytes.length} bytes downloaded`)
    if (expected !== null) {
      const got = hash(bytes)
      if (got !== expected)
        throw new Error(`checksum mismatch: got '${got}' != expect '${expected}'`)
      ctx.log('calculating checksum...OK, checksum verified')
    }
    cluster.volumes.set(volid, {
      volid,
      content,
      format: /\.qcow2$/.test(filename) ? 'qcow2' : /\.iso$/.test(filename) ? 'iso' : 'raw',
      size: bytes.length,
      ctime: Math.floor(Date.now() / 1000),
      bytes,
    })
    ctx.log(`download of '${url}' to '${dest}' finished`)
  })
}

/**
 * The option checks of a create (qemu-server `check_vm_modify_config_perm`): drives, serial ports
 * and tags are checked elsewhere or by value; hardware types need `VM.Config.HWType`.
 */
function createPrivilege(key: string): string | null {
  if (/^(ide|sata|scsi|virtio|unused|serial|usb)\d+$|^(node|vmid|pool|storage|tags)$/.test(key))
    return null
  if (/^(vga|scsihw|keyboard|tablet|watchdog|smbios1|audio0|rng0)$/.test(key))
    return 'VM.Config.HWType'
  return privilegeFor(key)
}

/** `STORAGE:0,import-from=VOLID,…`: the target storage, the source, the other options. */
function parseImportDrive(value: string): { storage: string; from: string | null; rest: string[] } {
  const [first = '', ...opts] = value.split(',')
  const from = opts.find((o) => o.startsWith('import-from='))?.slice('import-from='.length) ?? null
  return {
    storage: first.replace(/^file=/, '').split(':')[0] ?? '',
    from,
    rest: opts.filter((o) => !o.startsWith('import-from=')),
  }
}

/**
 * POST /nodes/{node}/qemu: the config file exists at once with only `lock: create`; the worker
 * imports the disk, writes the whole config last, and removes the config again if it fails.
 */
export function createVm(cluster: SimCluster, p: P, caller: Caller): string {
  const node = String(p.node)
  cluster.checkNode(node)
  if (p.archive !== undefined) return restoreVm(cluster, p, caller)
  const vmid = Number(p.vmid)
  const pool = p.pool === undefined ? undefined : String(p.pool)
  if (
    !cluster.hasPriv(caller, `/vms/${vmid}`, 'VM.Allocate') &&
    !(pool !== undefined && cluster.hasPriv(caller, `/pool/${pool}`, 'VM.Allocate'))
  ) {
    throw new SimError(403, 'Permission check failed')
  }
  if (pool !== undefined && !cluster.pools.has(pool))
    throw new SimError(403, `Permission check failed (pool '${pool}' does not exist)`)
  // The new VM's options are checked on /vms/{vmid}, which a pool's grants cover once it is in
  // the pool: it is not yet, so they are checked where the create puts it.
  for (const key of Object.keys(p)) {
    const priv = createPrivilege(key)
    if (!priv) continue
    if (
      !cluster.hasPriv(caller, `/vms/${vmid}`, priv) &&
      !(pool !== undefined && cluster.hasPriv(caller, `/pool/${pool}`, priv))
    )
      throw new SimError(403, `Permission check failed (/vms/${vmid}, ${priv})`)
  }
  const disk = p.scsi0 === undefined ? null : parseImportDrive(String(p.scsi0))
  if (disk) {
    const st = storageOf(cluster, disk.storage)
    if (!st.content.split(',').includes('images'))
      die(`storage '${disk.storage}' does not support vm images`)
    cluster.requirePriv(caller, `/storage/${disk.storage}`, 'Datastore.AllocateSpace')
    if (disk.from) {
      // `check_volume_access` of an import volume: read access to its storage.
      const src = disk.from.split(':')[0] ?? ''
      if (
        !cluster.hasPriv(caller, `/storage/${src}`, 'Datastore.Audit') &&
        !cluster.hasPriv(caller, `/storage/${src}`, 'Datastore.AllocateSpace')
      )
        throw new SimError(403, `Permission check failed (/storage/${src}, Datastore.Audit)`)
    }
  }
  if (cluster.vms.has(vmid)) die(`unable to create VM ${vmid} - config file already exists`)
  cluster.vms.set(vmid, {
    vmid,
    running: false,
    createdAt: Date.now(),
    foreign: false,
    config: { lock: 'create' },
  })
  return cluster.tasks.create(node, 'qmcreate', String(vmid), caller.tokenId, async (ctx) => {
    try {
      const config: Record<string, string> = {}
      for (const [k, v] of Object.entries(p)) {
        if (k === 'node' || k === 'vmid' || k === 'pool' || k === 'storage') continue
        config[k] = String(v)
      }
      if (disk) {
        let size = '4G'
        if (disk.from) {
          const vol = cluster.volumes.get(disk.from)
          if (!vol)
            throw new Error(`unable to create VM ${vmid} - volume '${disk.from}' does not exist`)
          ctx.log(`importing disk '${disk.from}' to VM ${vmid} ...`)
          await sleep(cluster.opts.timing.importMs)
          ctx.log(`transferred ${vol.size} B of ${vol.size} B (100.00%)`)
          size = '3G'
        }
        config.scsi0 = [`${disk.storage}:vm-${vmid}-disk-0`, ...disk.rest, `size=${size}`].join(',')
      }
      if (config.ide2 && /:cloudinit$/.test(config.ide2)) {
        config.ide2 = `${config.ide2.split(':')[0]}:vm-${vmid}-cloudinit,media=cdrom`
      }
      if (config.net0) config.net0 = normaliseNet(cluster, config.net0)
      if (config.tags) config.tags = normaliseTags(config.tags)
      config.smbios1 ??= `uuid=${uuid()}`
      config.vmgenid = uuid()
      config.meta = `creation-qemu=9.2.0,ctime=${Math.floor(Date.now() / 1000)}`
      const vm = cluster.vm(vmid)
      vm.config = config
      if (pool !== undefined) cluster.addToPool(vmid, pool)
    } catch (err) {
      cluster.vms.delete(vmid)
      throw err
    }
  })
}

/** POST /nodes/{node}/qemu/{vmid}/template: the disks become base images. */
export function makeTemplate(cluster: SimCluster, p: P, caller: Caller): string {
  const node = String(p.node)
  cluster.checkNode(node)
  const vmid = Number(p.vmid)
  cluster.requirePriv(caller, `/vms/${vmid}`, 'VM.Allocate')
  const vm = cluster.vm(vmid)
  if (cluster.isTemplate(vm)) die("you can't convert a template to a template")
  cluster.checkLock(vm)
  if (vm.running) die("you can't convert a template of a running VM")
  return cluster.tasks.create(node, 'qmtemplate', String(vmid), caller.tokenId, async (ctx) => {
    await sleep(cluster.opts.timing.configMs)
    for (const key of ['scsi0', 'ide2']) {
      const v = vm.config[key]
      if (v) vm.config[key] = v.replace(`:vm-${vmid}-`, `:base-${vmid}-`)
    }
    ctx.log(`  Renamed "vm-${vmid}-disk-0" to "base-${vmid}-disk-0" in volume group "pve"`)
    vm.config.template = '1'
  })
}
