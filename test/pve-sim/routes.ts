import type { Caller, SimCluster } from './cluster'
import { ListWithTotal, SimError, die, paramError } from './engine'
import { agentFileWrite } from './agent'
import { deleteVolume, updateVolume, vzdump } from './backups'
import { nodeMemory, nodeStatus, storageSpace, storageStatus } from './capacity'
import { createVm, downloadUrl, makeTemplate, storageContent } from './images'
import { updateVmConfig } from './qemu-config'
import { cloudinitDump, clone, getConfig, listQemu, statusCurrent } from './qemu'
import { destroy, resize, shutdown, start, stop } from './qemu-power'
import type { ParamValue } from './schema'
import { createSnapshot, deleteSnapshot, listSnapshots, rollbackSnapshot } from './snapshots'

/** Handlers by schema key (`METHOD /path/{param}`); anything else in the subset answers 501. */

type P = Record<string, ParamValue>
export type Handler = (cluster: SimCluster, p: P, caller: Caller) => unknown

/**
 * GET /nodes/{node}/tasks: the caller's own tasks, or all of the node's with Sys.Audit on it
 * (pve-manager `API2/Tasks.pm`), newest first; `source` active/archive/all, `typefilter`, `vmid`.
 */
function listTasks(cluster: SimCluster, p: P, caller: Caller): unknown[] {
  const node = String(p.node)
  cluster.checkNode(node)
  const all = cluster.hasPriv(caller, `/nodes/${node}`, 'Sys.Audit')
  const source = p.source === undefined ? 'archive' : String(p.source)
  return cluster.tasks
    .all()
    .filter((t) => t.node === node && (all || t.user === caller.tokenId))
    .filter((t) =>
      source === 'all'
        ? true
        : source === 'active'
          ? t.status === 'running'
          : t.status !== 'running',
    )
    .filter((t) => p.typefilter === undefined || t.type === String(p.typefilter))
    .filter((t) => p.vmid === undefined || t.id === String(p.vmid))
    .sort((a, b) => b.starttime - a.starttime)
    .slice(0, p.limit === undefined ? 50 : Number(p.limit))
    .map((t) => ({
      upid: t.upid,
      node: t.node,
      pid: t.pid,
      pstart: t.pstart,
      starttime: t.starttime,
      type: t.type,
      id: t.id,
      user: t.user,
      ...(t.status === 'stopped' ? { status: t.exitstatus ?? 'unknown' } : {}),
    }))
}

function taskView(cluster: SimCluster, p: P): unknown {
  const upid = String(p.upid)
  if (!/^UPID:/.test(upid)) paramError({ upid: 'unable to parse worker upid' })
  const task = cluster.tasks.get(upid)
  // The log file lives on the task's node; another node has "no such task"
  // (docs/proxmox-api.md#tasks).
  if (!task || task.node !== p.node) paramError({ upid: 'no such task' })
  return task
}

export const ROUTES: Readonly<Record<string, Handler>> = {
  'GET /version': (c) => ({
    version: c.opts.version,
    release: c.opts.version.split('.').slice(0, 2).join('.'),
    repoid: 'faa83925c9641325',
  }),
  'GET /nodes': (c, _p, _caller) => [
    {
      node: c.opts.node,
      status: 'online',
      id: `node/${c.opts.node}`,
      type: 'node',
      level: '',
      cpu: 0.0341,
      maxcpu: 32,
      mem: nodeMemory(c).used,
      maxmem: nodeMemory(c).total,
      uptime: 864000,
      ssl_fingerprint: c.fingerprint,
    },
  ],
  'GET /cluster/nextid': (c, p) => {
    const id = c.nextId(p.vmid === undefined ? undefined : Number(p.vmid))
    return c.opts.nextIdAsNumber ? Number(id) : id
  },
  'GET /cluster/resources': (c, p, caller) => {
    if (p.type !== undefined && p.type !== 'vm') return []
    const lag = c.opts.timing.resourcesLagMs
    return [...c.vms.values()]
      .filter((vm) => c.hasPriv(caller, `/vms/${vm.vmid}`, 'VM.Audit'))
      .map((vm) => {
        // The pool is shown only to who may audit it (pve-manager `API2/Cluster.pm`).
        const pool = c.poolOf(vm.vmid)
        const base = {
          id: `qemu/${vm.vmid}`,
          type: 'qemu',
          vmid: vm.vmid,
          node: c.opts.node,
          ...(pool !== null && c.hasPriv(caller, `/pool/${pool}`, 'Pool.Audit') ? { pool } : {}),
          ...(vm.config.lock ? { lock: vm.config.lock } : {}),
          ...(vm.config.tags ? { tags: vm.config.tags } : {}),
        }
        // pvestatd reports new VMs ~10 s later; until then no name, no template
        // (docs/proxmox-api.md#cluster-resources-lag).
        if (Date.now() - vm.createdAt < lag) return { ...base, status: 'unknown' }
        return {
          ...base,
          status: vm.running ? 'running' : 'stopped',
          name: vm.config.name ?? `VM ${vm.vmid}`,
          template: c.isTemplate(vm) ? 1 : 0,
        }
      })
  },
  'GET /nodes/{node}/qemu': listQemu,
  'POST /nodes/{node}/qemu': createVm,
  'POST /nodes/{node}/qemu/{vmid}/template': makeTemplate,
  'GET /nodes/{node}/storage/{storage}/content': storageContent,
  'POST /nodes/{node}/vzdump': vzdump,
  'PUT /nodes/{node}/storage/{storage}/content/{volume}': updateVolume,
  'DELETE /nodes/{node}/storage/{storage}/content/{volume}': deleteVolume,
  'POST /nodes/{node}/storage/{storage}/download-url': downloadUrl,
  'POST /nodes/{node}/qemu/{vmid}/clone': clone,
  'GET /nodes/{node}/qemu/{vmid}/config': getConfig,
  'POST /nodes/{node}/qemu/{vmid}/config': (c, p, caller) => updateVmConfig(c, p, caller, true),
  'PUT /nodes/{node}/qemu/{vmid}/config': (c, p, caller) => updateVmConfig(c, p, caller, false),
  'PUT /nodes/{node}/qemu/{vmid}/resize': resize,
  'GET /nodes/{node}/qemu/{vmid}/snapshot': listSnapshots,
  'POST /nodes/{node}/qemu/{vmid}/snapshot': createSnapshot,
  'DELETE /nodes/{node}/qemu/{vmid}/snapshot/{snapname}': deleteSnapshot,
  'POST /nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback': rollbackSnapshot,
  'POST /nodes/{node}/qemu/{vmid}/status/start': start,
  'POST /nodes/{node}/qemu/{vmid}/status/stop': stop,
  'POST /nodes/{node}/qemu/{vmid}/status/shutdown': shutdown,
  'GET /nodes/{node}/qemu/{vmid}/status/current': statusCurrent,
  'DELETE /nodes/{node}/qemu/{vmid}': destroy,
  'GET /nodes/{node}/qemu/{vmid}/cloudinit/dump': cloudinitDump,
  'POST /nodes/{node}/qemu/{vmid}/agent/file-write': agentFileWrite,
  'GET /nodes/{node}/tasks': listTasks,
  'GET /nodes/{node}/tasks/{upid}/status': (c, p) => {
    const t = taskView(c, p) as ReturnType<typeof c.tasks.get> & object
    const [user, tokenid] = t.user.split('!')
    return {
      upid: t.upid,
      node: t.node,
      pid: t.pid,
      pstart: t.pstart,
      starttime: t.starttime,
      type: t.type,
      id: t.id,
      user,
      ...(tokenid ? { tokenid } : {}),
      status: t.status,
      ...(t.status === 'stopped' ? { exitstatus: t.exitstatus } : {}),
    }
  },
  'GET /nodes/{node}/tasks/{upid}/log': (c, p) => {
    const t = taskView(c, p) as ReturnType<typeof c.tasks.get> & object
    const start = p.start === undefined ? 0 : Number(p.start)
    const limit = p.limit === undefined ? 50 : Number(p.limit)
    const lines = t.log.length > 0 ? t.log : ['no content']
    const slice = lines.slice(start, limit === 0 ? undefined : start + limit)
    return new ListWithTotal(
      slice.map((text, i) => ({ n: start + i + 1, t: text })),
      lines.length,
    )
  },
  'GET /nodes/{node}/storage': (c, p, caller) => {
    c.checkNode(String(p.node))
    return c.opts.storages
      .filter(
        (s) =>
          c.hasPriv(caller, `/storage/${s.storage}`, 'Datastore.Audit') ||
          c.hasPriv(caller, `/storage/${s.storage}`, 'Datastore.AllocateSpace'),
      )
      .filter((s) => p.storage === undefined || s.storage === p.storage)
      .map(({ sizeGiB: _size, ...s }) => {
        const space = storageSpace(c, s.storage)
        return { ...s, ...space, used_fraction: space.total ? space.used / space.total : 0 }
      })
  },
  'GET /nodes/{node}/status': nodeStatus,
  'GET /nodes/{node}/storage/{storage}/status': storageStatus,
  'GET /nodes/{node}/network': (c, p) => {
    c.checkNode(String(p.node))
    const ifaces = [
      { iface: 'eno1', type: 'eth', active: 1, exists: 1, method: 'manual', families: ['inet'] },
      ...c.opts.bridges.map((b) => ({
        iface: b,
        type: 'bridge',
        active: 1,
        autostart: 1,
        method: 'static',
        families: ['inet'],
        bridge_ports: 'eno1',
      })),
    ]
    if (p.type === undefined) return ifaces
    const t = String(p.type)
    return ifaces.filter((i) =>
      t === 'any_bridge' || t === 'any_local_bridge' ? i.type === 'bridge' : i.type === t,
    )
  },
  /**
   * pve-manager `API2/Pool.pm` `index`: without `poolid`, the pools the caller may audit; with
   * it, that pool and all its members whatever the caller may see (the permission check's
   * result is ignored there), or `pool '…' does not exist`.
   */
  'GET /pools': (c, p, caller) => {
    if (p.poolid === undefined) {
      return [...c.pools]
        .filter(([id]) => c.hasPriv(caller, `/pool/${id}`, 'Pool.Audit'))
        .map(([poolid, pool]) => ({
          poolid,
          ...(pool.comment === undefined ? {} : { comment: pool.comment }),
        }))
    }
    const poolid = String(p.poolid)
    const pool = c.pools.get(poolid)
    if (!pool) die(`pool '${poolid}' does not exist`)
    const members = [...pool.vms]
      .map((vmid) => c.vms.get(vmid))
      .filter((vm) => vm !== undefined)
      .filter(() => p.type === undefined || p.type === 'qemu')
      .map((vm) => ({
        id: `qemu/${vm.vmid}`,
        type: 'qemu',
        vmid: vm.vmid,
        node: c.opts.node,
        name: vm.config.name ?? `VM ${vm.vmid}`,
        status: vm.running ? 'running' : 'stopped',
        template: c.isTemplate(vm) ? 1 : 0,
      }))
    return [
      {
        poolid,
        ...(pool.comment === undefined ? {} : { comment: pool.comment }),
        members,
      },
    ]
  },
  'GET /access/permissions': (c, p, caller) => {
    if (p.userid !== undefined && p.userid !== caller.tokenId)
      throw new SimError(403, 'Permission check failed')
    return c.permissions(caller, p.path === undefined ? undefined : String(p.path))
  },
  'POST /access/ticket': () => die('not implemented in the simulator'),
}
