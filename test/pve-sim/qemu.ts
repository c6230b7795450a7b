import type { Caller, SimCluster, SimVm } from './cluster'
import { uuid } from './cluster'
import { SimError, die, paramError, sleep } from './engine'
import { takeTaskFault } from './qemu-config'
import type { ParamValue } from './schema'

/** The per-VM endpoints (docs/proxmox-api.md#endpoints), S and T checks where PVE makes them. */

type P = Record<string, ParamValue>

const truthy = (v: ParamValue | undefined): boolean => v === true || v === '1' || v === 1

/** GET /nodes/{node}/qemu: live from the configs (unlike /cluster/resources). */
export function listQemu(cluster: SimCluster, p: P, caller: Caller): unknown[] {
  cluster.checkNode(String(p.node))
  return [...cluster.vms.values()]
    .filter((vm) => cluster.hasPriv(caller, `/vms/${vm.vmid}`, 'VM.Audit'))
    .map((vm) => ({
      vmid: vm.vmid,
      status: vm.running ? 'running' : 'stopped',
      ...(vm.config.name ? { name: vm.config.name } : {}),
      ...(vm.config.tags ? { tags: vm.config.tags } : {}),
      ...(vm.config.lock ? { lock: vm.config.lock } : {}),
      ...(cluster.isTemplate(vm) ? { template: 1 } : {}),
      cpus: Number(vm.config.cores ?? 1),
      maxmem: Number(vm.config.memory ?? 512) * 1024 * 1024,
    }))
}

/** POST /nodes/{node}/qemu/{vmid}/clone (docs/proxmox-api.md#clone). */
export function clone(cluster: SimCluster, p: P, caller: Caller): string {
  const node = String(p.node)
  const vmid = Number(p.vmid)
  const newid = Number(p.newid)
  cluster.checkNode(node)
  const source = cluster.vms.get(vmid)
  if (!source) die(`unable to find configuration file for VM ${vmid} on node '${node}'`)
  if (p.target !== undefined && p.target !== node)
    die(`can't clone VM to node '${String(p.target)}' (VM uses local storage)`)
  const storageId = p.storage === undefined ? undefined : String(p.storage)
  if (storageId !== undefined) {
    const st = cluster.opts.storages.find((s) => s.storage === storageId)
    if (!st) paramError({ storage: `storage '${storageId}' does not exist` })
    if (!st.content.split(',').includes('images'))
      paramError({ storage: `storage '${storageId}' does not support vm images` })
  }
  // The schema's check: VM.Clone on the source, and VM.Allocate on /vms/{newid} or, when the
  // clone names a pool, on /pool/{pool}; a failed "or" names nothing (RPCEnvironment.pm).
  const pool = p.pool === undefined ? undefined : String(p.pool)
  cluster.requirePriv(caller, `/vms/${vmid}`, 'VM.Clone')
  if (
    !cluster.hasPriv(caller, `/vms/${newid}`, 'VM.Allocate') &&
    !(pool !== undefined && cluster.hasPriv(caller, `/pool/${pool}`, 'VM.Allocate'))
  ) {
    throw new SimError(403, 'Permission check failed')
  }
  // `check_pool_exist`, before the worker forks: a 403 naming the pool.
  if (pool !== undefined && !cluster.pools.has(pool)) {
    throw new SimError(403, `Permission check failed (pool '${pool}' does not exist)`)
  }
  if (storageId) cluster.requirePriv(caller, `/storage/${storageId}`, 'Datastore.AllocateSpace')
  cluster.checkLock(source)
  const full = p.full === undefined ? !cluster.isTemplate(source) : truthy(p.full)
  if (!full && storageId !== undefined) die("parameter 'storage' not allowed for linked clones")
  if (!full && p.format !== undefined) die("parameter 'format' not allowed for linked clones")
  if (!full && !cluster.isTemplate(source)) {
    die(
      `Linked clone feature is not supported for '${(source.config.scsi0 ?? '').split(',')[0]}' (scsi0)`,
    )
  }
  const faults = cluster.opts.faults
  if (faults.loseRace > 0) {
    // Someone else's clone wrote its temporary config for this id a moment ago
    // (docs/proxmox-api.md#nextid-race).
    faults.loseRace -= 1
    cluster.vms.set(newid, {
      vmid: newid,
      running: false,
      createdAt: Date.now(),
      foreign: true,
      config: { name: `foreign-${newid}` },
    })
  }
  if (cluster.vms.has(newid)) die(`unable to create VM ${newid}: config file already exists`)
  const t = cluster.opts.timing
  return cluster.tasks.create(node, 'qmclone', String(vmid), caller.tokenId, async (ctx) => {
    // The window in which nextid still hands out `newid` (docs/proxmox-api.md#nextid-race).
    await sleep(t.tempConfigDelayMs)
    const releaseSrc = await cluster.lockVm(vmid, source.running, t.cloneLockTimeoutMs)
    let releaseNew: (() => void) | null = null
    let created = false
    try {
      releaseNew = await cluster.lockVm(newid, true, t.cloneLockTimeoutMs)
      if (cluster.vms.has(newid))
        throw new Error(`unable to create VM ${newid}: config file already exists`)
      const vm: SimVm = {
        vmid: newid,
        running: false,
        createdAt: Date.now(),
        foreign: false,
        config: { lock: 'clone' },
        clonedFrom: vmid,
        // A clone copies the disk, and with it what the source's guest had written there.
        ...(source.guestFiles ? { guestFiles: { ...source.guestFiles } } : {}),
      }
      cluster.vms.set(newid, vm)
      created = true
      if (source.config.ide2)
        ctx.log(`create full clone of drive ide2 (${source.config.ide2.split(',')[0]})`)
      const cfg: Record<string, string> = {}
      for (const [k, v] of Object.entries(source.config)) {
        if (k === 'template' || k === 'lock' || k.startsWith('unused')) continue
        cfg[k] = /^net\d+$/.test(k)
          ? v.replace(/=([0-9A-F]{2}:){5}[0-9A-F]{2}/i, `=${cluster.newMac()}`)
          : v
      }
      cfg.name = p.name === undefined ? `Copy-of-VM-${source.config.name ?? vmid}` : String(p.name)
      if (p.description !== undefined) cfg.description = String(p.description)
      cfg.smbios1 = `uuid=${uuid()}`
      cfg.scsi0 = (cfg.scsi0 ?? '').replace(
        /^[^,]+/,
        `${storageId ?? 'local-lvm'}:vm-${newid}-disk-0`,
      )
      if (cfg.ide2 !== undefined)
        cfg.ide2 = `${storageId ?? 'local-lvm'}:vm-${newid}-cloudinit,media=cdrom`
      vm.config = { ...cfg, lock: 'clone' }
      ctx.log(`create full clone of drive scsi0 (${(source.config.scsi0 ?? '').split(',')[0]})`)
      const target = storageId ?? 'local-lvm'
      const active = cluster.activeClones.get(target) ?? 0
      const limit = faults.storageCloneLimit
      if (limit !== null && active >= limit) {
        await sleep(t.cloneLockTimeoutMs)
        throw new Error(
          `can't lock file '/var/lock/pve-manager/pve-storage-${target}' - got timeout`,
        )
      }
      cluster.activeClones.set(target, active + 1)
      try {
        await sleep(t.cloneMs)
      } finally {
        cluster.activeClones.set(target, (cluster.activeClones.get(target) ?? 1) - 1)
      }
      ctx.log('transferred 3.5 GiB of 3.5 GiB (100.00%)')
      takeTaskFault(cluster, 'qmclone', ctx)
      // The new VM joins its pool last, just before the clone lock goes (qemu-server `clone_vm`).
      if (pool !== undefined) cluster.addToPool(newid, pool)
      delete vm.config.lock
    } catch (err) {
      if (created) cluster.vms.delete(newid)
      const msg = err instanceof Error ? err.message : String(err)
      throw new Error(created ? `clone failed: ${msg}` : msg, { cause: err })
    } finally {
      releaseNew?.()
      releaseSrc()
    }
  })
}

/** GET …/status/current (docs/proxmox-api.md#vm-status). */
export function statusCurrent(cluster: SimCluster, p: P, caller: Caller): unknown {
  cluster.checkNode(String(p.node))
  const vm = cluster.vm(Number(p.vmid))
  cluster.requirePriv(caller, `/vms/${vm.vmid}`, 'VM.Audit')
  const c = vm.config
  const status = vm.running ? 'running' : 'stopped'
  return {
    vmid: vm.vmid,
    name: c.name ?? `VM ${vm.vmid}`,
    status,
    qmpstatus: status,
    cpus: Number(c.cores ?? 1),
    maxmem: Number((c.memory ?? '512').replace(/^current=/, '')) * 1024 * 1024,
    maxdisk: cluster.guestView(vm).diskBytes,
    disk: 0,
    mem: 0,
    memhost: 0,
    cpu: 0,
    uptime: 0,
    netin: 0,
    netout: 0,
    ha: { managed: 0 },
    ...(c.agent ? { agent: 1 } : {}),
    ...(c.serial0 ? { serial: 1 } : {}),
    ...(c.lock ? { lock: c.lock } : {}),
    ...(c.tags ? { tags: c.tags } : {}),
    ...(cluster.isTemplate(vm) ? { template: 1 } : {}),
    ...(vm.running ? { pid: 4242 } : {}),
  }
}

/** GET …/config (docs/proxmox-api.md#config). */
export function getConfig(cluster: SimCluster, p: P, caller: Caller): unknown {
  cluster.checkNode(String(p.node))
  const vm = cluster.vm(Number(p.vmid))
  cluster.requirePriv(caller, `/vms/${vm.vmid}`, 'VM.Audit')
  return cluster.configView(vm)
}

/** GET …/cloudinit/dump?type=user|network|meta (docs/proxmox-api.md#cloud-init). */
export function cloudinitDump(cluster: SimCluster, p: P, caller: Caller): string {
  cluster.checkNode(String(p.node))
  const vm = cluster.vm(Number(p.vmid))
  cluster.requirePriv(caller, `/vms/${vm.vmid}`, 'VM.Audit')
  const ci = cluster.guestView(vm).cloudInit
  return p.type === 'user' ? ci.userData : p.type === 'network' ? ci.networkConfig : ci.metaData
}
