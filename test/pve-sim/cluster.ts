import { randomBytes, createHash } from 'node:crypto'
import type { SimGuest } from './backend'
import type { SimVolume } from './images'
import type { SimSnapshot } from './snapshots'
import { FlockTable, SimError, TaskTable, die, paramError, vmLockFile } from './engine'
import { ALL_PRIVILEGES, type PveSimOptions, type SimToken } from './options'

/** The simulated cluster: one node, its VMs, locks, tasks (docs/proxmox-api.md#the-simulator). */

export interface SimVm {
  vmid: number
  /** Raw stored config values, as in `/etc/pve/qemu-server/<vmid>.conf`. */
  config: Record<string, string>
  running: boolean
  createdAt: number
  /** Created by someone else (lost-race fault), not by a client under test. */
  foreign: boolean
  /** Files written into the guest through its agent, by path: its "disk" keeps them. */
  guestFiles?: Record<string, string>
  /** Its snapshots, oldest first (`[snapname]` sections of its config). */
  snapshots?: SimSnapshot[]
  /** The VM its disk was cloned from (a backend copies or layers that VM's disk). */
  clonedFrom?: number
}

/** Config keys PVE returns as numbers (integers and booleans, docs/proxmox-api.md#json-types). */
const NUMERIC_KEYS = new Set([
  'cores',
  'sockets',
  'onboot',
  'template',
  'balloon',
  'numa',
  'protection',
  'ciupgrade',
  'acpi',
  'kvm',
  'tablet',
  'cpuunits',
  'vcpus',
])

export interface Caller {
  tokenId: string
  token: SimToken
}

export class SimCluster {
  readonly vms = new Map<number, SimVm>()
  /** Resource pools by id, with their member VMs (`user.cfg` `pool:` lines). */
  readonly pools = new Map<string, { comment?: string; vms: Set<number> }>()
  readonly flocks = new FlockTable()
  readonly tasks = new TaskTable()
  private macCounter = 0
  /** Full clones running per target storage (for `storageCloneLimit`). */
  readonly activeClones = new Map<string, number>()
  /** Files on the storages (downloaded images), by volume id. */
  readonly volumes = new Map<string, SimVolume>()
  /** The node certificate's SHA-256 fingerprint, shown by GET /nodes (set by the server). */
  fingerprint = ''

  constructor(readonly opts: PveSimOptions) {
    for (const t of opts.templates) {
      this.vms.set(t.vmid, {
        vmid: t.vmid,
        running: false,
        createdAt: 0,
        foreign: false,
        config: {
          name: t.name,
          ...(t.template ? { template: '1' } : {}),
          agent: '1',
          boot: 'order=scsi0',
          cores: '2',
          memory: '2048',
          ostype: 'l26',
          scsihw: 'virtio-scsi-single',
          scsi0: `local-lvm:${t.template ? 'base' : 'vm'}-${t.vmid}-disk-0,discard=on,size=${t.diskSize}`,
          ...(t.cloudInitDrive === false
            ? {}
            : { ide2: `local-lvm:vm-${t.vmid}-cloudinit,media=cdrom` }),
          net0: `virtio=${this.newMac()},bridge=vmbr0`,
          serial0: 'socket',
          vga: 'serial0',
          smbios1: `uuid=${uuid()}`,
          meta: 'creation-qemu=9.0.2,ctime=1726000000',
        },
      })
    }
    for (const p of opts.pools) {
      this.pools.set(p.poolid, {
        ...(p.comment === undefined ? {} : { comment: p.comment }),
        vms: new Set(p.vmids),
      })
    }
  }

  /** The pool a VM belongs to, if any (a VM is in at most one). */
  poolOf(vmid: number): string | null {
    for (const [id, pool] of this.pools) if (pool.vms.has(vmid)) return id
    return null
  }

  /** `add_vm_to_pool`: silently nothing when the pool went away meanwhile. */
  addToPool(vmid: number, poolid: string): void {
    this.pools.get(poolid)?.vms.add(vmid)
  }

  /** `remove_vm_access`, on destroy: the VM leaves its pool. */
  removeFromPools(vmid: number): void {
    for (const pool of this.pools.values()) pool.vms.delete(vmid)
  }

  /** A random MAC with Proxmox's OUI BC:24:11 (docs/proxmox-api.md#config). */
  newMac(): string {
    this.macCounter += 1
    const b = randomBytes(3)
    return `BC:24:11:${[...b].map((x) => x.toString(16).toUpperCase().padStart(2, '0')).join(':')}`
  }

  /**
   * Take a VM's flock (`lock_config`), honouring the `lockTimeouts` fault: the next N
   * acquisitions on a non-template VM wait out the timeout and fail as if someone held it.
   */
  async lockVm(vmid: number, exclusive: boolean, timeoutMs: number): Promise<() => void> {
    const faults = this.opts.faults
    const vm = this.vms.get(vmid)
    if (faults.lockTimeouts > 0 && !(vm && this.isTemplate(vm))) {
      faults.lockTimeouts -= 1
      await new Promise((r) => setTimeout(r, timeoutMs))
      throw new Error(`can't lock file '${vmLockFile(vmid)}' - got timeout`)
    }
    return this.flocks.acquire(vmLockFile(vmid), exclusive, timeoutMs)
  }

  checkNode(node: string): void {
    if (node !== this.opts.node) {
      die(
        `hostname lookup '${node}' failed - failed to get address info for: ${node}: Name or service not known`,
      )
    }
  }

  /** The VM or `Configuration file … does not exist` (docs/proxmox-api.md#config). */
  vm(vmid: number): SimVm {
    const vm = this.vms.get(vmid)
    if (!vm)
      die(`Configuration file 'nodes/${this.opts.node}/qemu-server/${vmid}.conf' does not exist`)
    return vm
  }

  /** `check_lock`: `VM is locked (<lock>)` (docs/proxmox-api.md#locks). */
  checkLock(vm: SimVm): void {
    const lock = vm.config.lock
    if (lock) die(`VM is locked (${lock})`)
  }

  isTemplate(vm: SimVm): boolean {
    return vm.config.template === '1'
  }

  /**
   * Whether the token holds `priv` on `path`: an ACL on the path or above it (propagated), or for
   * `/vms/<vmid>` an ACL on the pool the VM is in (pve-access-control `RPCEnvironment.pm`,
   * `compile_acl_path`: pool roles apply to their member VMs).
   */
  hasPriv(caller: Caller, path: string, priv: string): boolean {
    const privs = caller.token.privileges
    if (privs === 'all') return true
    const covers = (target: string): boolean =>
      Object.entries(privs).some(
        ([p, list]) =>
          (p === '/' || target === p || target.startsWith(`${p}/`)) && list.includes(priv),
      )
    if (covers(path)) return true
    const vm = /^\/vms\/(\d+)$/.exec(path)
    const pool = vm ? this.poolOf(Number(vm[1])) : null
    return pool !== null && covers(`/pool/${pool}`)
  }

  /**
   * `raise_perm_exc`: 403 `Permission check failed (<path>, <priv>)`
   * (docs/proxmox-api.md#errors).
   */
  requirePriv(caller: Caller, path: string, priv: string): void {
    if (!this.hasPriv(caller, path, priv)) {
      throw new SimError(403, `Permission check failed (${path}, ${priv})`)
    }
  }

  /** GET /access/permissions: effective privileges at `path`, or at every ACL path. */
  permissions(caller: Caller, path: string | undefined): Record<string, Record<string, number>> {
    const paths =
      path !== undefined
        ? [path]
        : caller.token.privileges === 'all'
          ? ['/']
          : Object.keys(caller.token.privileges)
    const out: Record<string, Record<string, number>> = {}
    for (const p of paths) {
      const privs: Record<string, number> = {}
      for (const priv of ALL_PRIVILEGES) if (this.hasPriv(caller, p, priv)) privs[priv] = 1
      out[p] = privs
    }
    return out
  }

  /**
   * GET /cluster/nextid (docs/proxmox-api.md#nextid): reads the vmlist, reserves nothing; the id
   * is a JSON string.
   */
  nextId(vmid: number | undefined): string {
    if (vmid !== undefined) {
      if (this.vms.has(vmid)) paramError({ vmid: `VM ${vmid} already exists` })
      return String(vmid)
    }
    for (let id = 100; id < 1_000_000; id++) if (!this.vms.has(id)) return String(id)
    return die('unable to get any free VMID in range [100, 1000000]')
  }

  /**
   * GET config: integers and booleans as numbers, the rest strings, plus a digest
   * (docs/proxmox-api.md#json-types, #config).
   */
  configView(vm: SimVm): Record<string, string | number> {
    const out: Record<string, string | number> = {}
    for (const [k, v] of Object.entries(vm.config)) {
      out[k] = NUMERIC_KEYS.has(k) ? Number(v) : k === 'cipassword' ? '**********' : v
    }
    out.digest = digest(vm)
    return out
  }

  digestOf(vm: SimVm): string {
    return digest(vm)
  }

  /** What a backend needs to bring the guest up, as PVE's cloud-init would see the config. */
  guestView(vm: SimVm): SimGuest {
    // Cloud-init data reaches the guest only through a cloud-init drive
    // (docs/proxmox-api.md#cloud-init).
    const hasDrive = Object.values(vm.config).some((v) => /:(vm|base)-\d+-cloudinit\b/.test(v))
    const c = hasDrive ? vm.config : { ...vm.config, ipconfig0: '', sshkeys: '', ciuser: '' }
    const ip = /(?:^|,)ip=([\d.]+)\/(\d+)/.exec(c.ipconfig0 ?? '')
    const gw = /(?:^|,)gw=([\d.]+)/.exec(c.ipconfig0 ?? '')
    const keys = c.sshkeys
      ? decodeURIComponent(c.sshkeys)
          .split('\n')
          .filter((k) => k.trim() !== '')
      : []
    const disk = /size=(\d+(?:\.\d+)?)([KMGT]?)/.exec(c.scsi0 ?? '')
    const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[
      (disk?.[2] ?? '') as '' | 'K' | 'M' | 'G' | 'T'
    ]
    const guest: Omit<SimGuest, 'cloudInit' | 'files'> = {
      vmid: vm.vmid,
      name: c.name ?? `VM ${vm.vmid}`,
      cores: Number(c.cores ?? 1),
      memoryMiB: Number((c.memory ?? '512').replace(/^current=/, '')),
      diskBytes: disk ? Math.round(Number(disk[1]) * unit) : 0,
      ipv4: ip ? { address: ip[1] ?? '', prefix: Number(ip[2]), gateway: gw?.[1] ?? null } : null,
      ciuser: c.ciuser || null,
      sshAuthorizedKeys: keys,
      nameservers: (c.nameserver ?? '').split(/[\s,;]+/).filter(Boolean),
      searchDomain: c.searchdomain ?? null,
      macaddr: /=([0-9A-F:]{17})/i.exec(c.net0 ?? '')?.[1] ?? null,
      sshPort: this.opts.guestSshPort,
      clonedFrom: vm.clonedFrom ?? null,
    }
    return { ...guest, cloudInit: cloudInitData(guest), files: { ...vm.guestFiles } }
  }
}

function digest(vm: SimVm): string {
  const text = Object.entries(vm.config)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n')
  return createHash('sha1').update(text).digest('hex')
}

export function uuid(): string {
  const h = randomBytes(16).toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** NoCloud data in the shape `QemuServer/Cloudinit.pm` writes (docs/proxmox-api.md#cloud-init). */
function cloudInitData(g: Omit<SimGuest, 'cloudInit' | 'files'>): SimGuest['cloudInit'] {
  const userData = [
    '#cloud-config',
    `hostname: ${g.name}`,
    'manage_etc_hosts: true',
    `fqdn: ${g.name}${g.searchDomain ? `.${g.searchDomain}` : ''}`,
    ...(g.ciuser ? [`user: ${g.ciuser}`] : []),
    ...(g.sshAuthorizedKeys.length > 0
      ? ['ssh_authorized_keys:', ...g.sshAuthorizedKeys.map((k) => `  - ${k}`)]
      : []),
    'chpasswd:',
    '  expire: False',
    'users:',
    '  - default',
    'package_upgrade: false',
    '',
  ].join('\n')
  const networkConfig = [
    'version: 1',
    'config:',
    '    - type: physical',
    '      name: eth0',
    `      mac_address: '${(g.macaddr ?? '').toLowerCase()}'`,
    ...(g.ipv4
      ? [
          '      subnets:',
          '      - type: static',
          `        address: '${g.ipv4.address}'`,
          `        netmask: '${prefixToMask(g.ipv4.prefix)}'`,
          ...(g.ipv4.gateway ? [`        gateway: '${g.ipv4.gateway}'`] : []),
        ]
      : []),
    ...(g.nameservers.length > 0 || g.searchDomain
      ? [
          '    - type: nameserver',
          '      address:',
          ...g.nameservers.map((n) => `      - '${n}'`),
          ...(g.searchDomain ? ['      search:', `      - '${g.searchDomain}'`] : []),
        ]
      : []),
    '',
  ].join('\n')
  const metaData = `instance-id: ${createHash('sha1')
    .update(userData + networkConfig)
    .digest('hex')}\n`
  return { userData, networkConfig, metaData }
}

function prefixToMask(prefix: number): string {
  const n = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.')
}
