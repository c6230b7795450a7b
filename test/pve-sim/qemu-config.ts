import type { Caller, SimCluster } from './cluster'
import { SimError, die, paramError, sleep, type TaskContext } from './engine'
import type { ParamValue } from './schema'

/**
 * `POST` (async) and `PUT` (sync) `/nodes/{node}/qemu/{vmid}/config`, in the order of
 * `$update_vm_api` (docs/proxmox-api.md#config).
 */

const CONTROL_KEYS = new Set([
  'node',
  'vmid',
  'digest',
  'delete',
  'revert',
  'background_delay',
  'skiplock',
  'force',
])

/** Which privilege each option needs (`VM.Config.*`). */
export function privilegeFor(key: string): string {
  if (/^(cores|sockets|cpu|cpulimit|cpuunits|vcpus|numa|affinity)$/.test(key))
    return 'VM.Config.CPU'
  if (/^(memory|balloon|shares|hugepages)$/.test(key)) return 'VM.Config.Memory'
  if (/^net\d+$/.test(key)) return 'VM.Config.Network'
  if (
    /^(ipconfig\d+|ciuser|cipassword|sshkeys|nameserver|searchdomain|citype|ciupgrade|cicustom)$/.test(
      key,
    )
  ) {
    return 'VM.Config.Cloudinit'
  }
  if (/^(scsi|virtio|sata|ide|efidisk|tpmstate|unused)\d+$/.test(key)) return 'VM.Config.Disk'
  return 'VM.Config.Options'
}

/** An OpenSSH public key line whose base64 blob starts with its own type (what `ssh-keygen -l` checks). */
export function isValidSshKey(line: string): boolean {
  const m = /^(\S+) ([A-Za-z0-9+/]+={0,3})(?: .*)?$/.exec(line.trim())
  if (!m) return false
  const blob = Buffer.from(m[2] ?? '', 'base64')
  if (blob.length < 8) return false
  const len = blob.readUInt32BE(0)
  return len > 0 && len < 64 && blob.subarray(4, 4 + len).toString('latin1') === m[1]
}

/** `virtio,bridge=vmbr0,tag=20` → `virtio=BC:24:11:..,bridge=vmbr0,tag=20` (model=MAC first, rest sorted). */
export function normaliseNet(cluster: SimCluster, value: string): string {
  let model = 'virtio'
  let mac: string | null = null
  const rest: [string, string][] = []
  for (const part of value.split(',')) {
    const eq = part.indexOf('=')
    const k = eq === -1 ? part : part.slice(0, eq)
    const v = eq === -1 ? null : part.slice(eq + 1)
    if (k === 'model' && v) model = v
    else if (k === 'macaddr' && v) mac = v
    else if (v === null) model = k
    else if (
      /^(virtio|e1000e?|rtl8139|vmxnet3|ne2k_pci|ne2k_isa|pcnet|i8255\w+|e1000-\w+)$/.test(k)
    ) {
      model = k
      mac = v
    } else rest.push([k, v])
  }
  rest.sort(([a], [b]) => a.localeCompare(b))
  return [`${model}=${mac ?? cluster.newMac()}`, ...rest.map(([k, v]) => `${k}=${v}`)].join(',')
}

/** Tags: split on `,; `, lowercase, sorted, unique, `;`-joined (docs/proxmox-api.md#config). */
export function normaliseTags(value: string): string {
  const tags = [
    ...new Set(
      value
        .split(/[,; ]+/)
        .filter(Boolean)
        .map((t) => t.toLowerCase()),
    ),
  ].sort()
  return tags.join(';')
}

/** The shared body of POST and PUT config. Returns a UPID (async) or null (sync). */
export async function updateVmConfig(
  cluster: SimCluster,
  params: Record<string, ParamValue>,
  caller: Caller,
  async: boolean,
): Promise<string | null> {
  const node = String(params.node)
  const vmid = Number(params.vmid)
  cluster.checkNode(node)
  if (params.skiplock !== undefined && !caller.tokenId.startsWith('root@pam')) {
    paramError({ skiplock: 'Only root may use this option.' })
  }
  if (typeof params.sshkeys === 'string') {
    let decoded: string
    try {
      decoded = decodeURIComponent(params.sshkeys)
    } catch {
      die('SSH public key validation error')
    }
    for (const line of decoded.split('\n')) {
      if (line.trim() !== '' && !isValidSshKey(line)) die('SSH public key validation error')
    }
  }
  const options = Object.entries(params).filter(([k]) => !CONTROL_KEYS.has(k))
  const deletes =
    typeof params.delete === 'string' ? params.delete.split(/[,;\s]+/).filter(Boolean) : []
  if (options.length === 0 && deletes.length === 0) die('no options specified')
  for (const [k] of options) cluster.requirePriv(caller, `/vms/${vmid}`, privilegeFor(k))
  // PVE 8+: attaching a NIC to a bridge needs SDN.Use on it (local zone).
  if (Number(cluster.opts.version.split('.')[0]) >= 8) {
    for (const [k, v] of options) {
      const bridge = /^net\d+$/.test(k) ? /(?:^|,)bridge=([^,]+)/.exec(String(v))?.[1] : undefined
      if (bridge) cluster.requirePriv(caller, `/sdn/zones/localnetwork/${bridge}`, 'SDN.Use')
    }
  }
  for (const k of deletes) cluster.requirePriv(caller, `/vms/${vmid}`, privilegeFor(k))
  const vm = cluster.vm(vmid)
  if (typeof params.digest === 'string' && params.digest !== cluster.digestOf(vm)) {
    die('checksum mismatch (file change by other user?)')
  }
  cluster.checkLock(vm)

  const apply = async (ctx: TaskContext | null): Promise<void> => {
    const release = await cluster.lockVm(vmid, true, cluster.opts.timing.lockTimeoutMs)
    try {
      const current = cluster.vm(vmid)
      cluster.checkLock(current)
      const shown = options.map(([k, v]) => `-${k} ${k === 'cipassword' ? '<hidden>' : String(v)}`)
      ctx?.log(
        `update VM ${vmid}: ${shown.join(' ')}${deletes.length ? ` -delete ${deletes.join(',')}` : ''}`,
      )
      for (const [k, raw] of options) {
        const v = typeof raw === 'boolean' ? (raw ? '1' : '0') : String(raw)
        if (/^net\d+$/.test(k)) current.config[k] = normaliseNet(cluster, v)
        else if (k === 'tags') current.config[k] = normaliseTags(v)
        else current.config[k] = v
      }
      for (const k of deletes) delete current.config[k]
      if (ctx) await sleep(cluster.opts.timing.configMs)
    } finally {
      release()
    }
  }

  if (!async) {
    await apply(null)
    return null
  }
  return cluster.tasks.create(node, 'qmconfig', String(vmid), caller.tokenId, async (ctx) => {
    await apply(ctx)
    takeTaskFault(cluster, 'qmconfig', ctx)
  })
}

/** Consume the first injected outcome for this task type: throw its message or log its warnings. */
export function takeTaskFault(cluster: SimCluster, type: string, ctx: TaskContext): void {
  const list = cluster.opts.faults.tasks
  const i = list.findIndex((f) => f.type === type)
  if (i === -1) return
  const [fault] = list.splice(i, 1)
  if (fault?.message) throw new SimError(500, fault.message)
  for (let n = 0; n < (fault?.warnings ?? 0); n++) ctx.warn(`injected warning ${n + 1} for ${type}`)
}
