import type { Caller, SimCluster } from './cluster'
import { die } from './engine'
import type { ParamValue } from './schema'

/**
 * The node's memory and the storages' space, as the VMs the simulator holds use them: a running
 * VM takes its configured memory, every disk takes its size on its storage (thin provisioning
 * aside, which is how PVE's own `avail` of an lvmthin pool is read by the product anyway). So a
 * test fills a node by deploying onto it, or by asking for a smaller node.
 */

type P = Record<string, ParamValue>

const MIB = 1024 ** 2
const GIB = 1024 ** 3
/** What the host itself uses (PVE, its services, the page cache it cannot give back). */
const HOST_MIB = 2_048
/** Disk-holding config keys (`unusedN` keeps its volume too). */
const DISK_KEY = /^(scsi|sata|ide|virtio|efidisk|tpmstate|unused)\d+$/

/** `3584M` → bytes, as in a drive's `size=`. */
export function sizeBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)$/.exec(text)
  const mult = { '': 1, K: 1024, M: MIB, G: GIB, T: 1024 ** 4 }[
    (m?.[2] ?? '') as '' | 'K' | 'M' | 'G' | 'T'
  ]
  return Math.round(Number(m?.[1] ?? 0) * mult)
}

/** The node's memory in bytes: total, and free after the host and every running VM. */
export function nodeMemory(c: SimCluster): { total: number; used: number; free: number } {
  const total = c.opts.nodeMemoryMiB * MIB
  let used = HOST_MIB * MIB
  for (const vm of c.vms.values()) {
    if (!vm.running) continue
    used += Number((vm.config.memory ?? '512').replace(/^current=/, '')) * MIB
  }
  used = Math.min(used, total)
  return { total, used, free: total - used }
}

/** A storage's space in bytes: every VM disk on it counts at its full size, files at theirs. */
export function storageSpace(
  c: SimCluster,
  storage: string,
): { total: number; used: number; avail: number } {
  const s = c.opts.storages.find((x) => x.storage === storage)
  const total = (s?.sizeGiB ?? 500) * GIB
  let used = 0
  for (const vm of c.vms.values()) {
    for (const [key, value] of Object.entries(vm.config)) {
      if (!DISK_KEY.test(key) || !value.startsWith(`${storage}:`)) continue
      used += sizeBytes(/(?:^|,)size=([^,]+)/.exec(value)?.[1] ?? '0')
    }
  }
  // Files on it (downloaded images, backups) too.
  for (const v of c.volumes.values()) if (v.volid.startsWith(`${storage}:`)) used += v.size
  // Files on it (downloaded images, backups) too.
  for (const v of c.volumes.values()) if (v.volid.startsWith(`${storage}:`)) used += v.size
  used = Math.min(used, total)
  return { total, used, avail: total - used }
}

/** GET /nodes/{node}/status (pve-manager `API2/Nodes.pm` `status`; Sys.Audit on the node). */
export function nodeStatus(c: SimCluster, p: P, caller: Caller): unknown {
  c.checkNode(String(p.node))
  c.requirePriv(caller, `/nodes/${c.opts.node}`, 'Sys.Audit')
  const mem = nodeMemory(c)
  return {
    cpu: 0.0341,
    loadavg: ['0.12', '0.10', '0.08'],
    memory: { total: mem.total, used: mem.used, free: mem.free, available: mem.free },
    cpuinfo: { cores: 16, cpus: 32, sockets: 1, model: 'Simulated CPU' },
    pveversion: `pve-manager/${c.opts.version}/faa83925c9641325`,
    uptime: 864_000,
  }
}

/**
 * GET /nodes/{node}/storage/{storage}/status (pve-storage `API2/Storage/Status.pm` `read_status`:
 * Datastore.Audit or Datastore.AllocateSpace on the storage; an unknown one "does not exist").
 */
export function storageStatus(c: SimCluster, p: P, caller: Caller): unknown {
  c.checkNode(String(p.node))
  const id = String(p.storage)
  const path = `/storage/${id}`
  if (
    !c.hasPriv(caller, path, 'Datastore.Audit') &&
    !c.hasPriv(caller, path, 'Datastore.AllocateSpace')
  ) {
    c.requirePriv(caller, path, 'Datastore.Audit')
  }
  const s = c.opts.storages.find((x) => x.storage === id)
  if (!s) die(`storage '${id}' does not exist`)
  const space = storageSpace(c, id)
  return {
    type: s.type,
    content: s.content,
    // Booleans as PVE writes them: 0 and 1 (docs/proxmox-api.md#json-types).
    shared: s.shared,
    active: s.active,
    enabled: s.enabled,
    ...(s.active === 1 ? space : {}),
  }
}
