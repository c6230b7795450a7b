import type { VmBackend } from './backend'

/** Every knob of the simulator, with defaults for fast tests. */

export interface SimToken {
  /** `user@realm!tokenid` */
  tokenId: string
  secret: string
  /** ACL path → privileges (inherited by sub-paths). `'all'` = every privilege on `/`. */
  privileges: Record<string, string[]> | 'all'
}

/** A resource pool (`pveum pool add`), and the VMs in it. */
export interface SimPool {
  poolid: string
  comment?: string
  /** VMs already in it (e.g. a template put there by the admin). */
  vmids?: number[]
}

export interface SimTiming {
  /** Full clone duration (the disk copy). */
  cloneMs: number
  /**
   * After the clone POST answers, before the temporary config appears (the nextid race window,
   * docs/proxmox-api.md#nextid-race).
   */
  tempConfigDelayMs: number
  configMs: number
  resizeMs: number
  /** Start task (ISO generation + QEMU start); the guest boots afterwards in the backend. */
  startMs: number
  stopMs: number
  destroyMs: number
  /** Clone's flock timeout on newid / the source (1 s in PVE). */
  cloneLockTimeoutMs: number
  /** `lock_config` timeout (10 s in PVE). */
  lockTimeoutMs: number
  /** How long one PVE "second" lasts (e.g. the shutdown `timeout` parameter). */
  secondMs: number
  /** Added to every request. */
  latencyMs: number
  /**
   * /cluster/resources shows new VMs without name/template for this long
   * (docs/proxmox-api.md#cluster-resources-lag).
   */
  resourcesLagMs: number
  /** download-url: after the file arrived, before the checksum (the transfer of a real image). */
  downloadMs: number
  /** A create that imports a disk (`import-from`): the copy. */
  importMs: number
  /** How long vzdump writes an archive. */
  backupMs: number
  /** A snapshot taken, rolled back or deleted. */
  snapshotMs: number
}

export interface SimTaskFault {
  /** Task type, e.g. `qmstart`, `qmclone`, `qmconfig`, `resize`, `qmdestroy`. */
  type: string
  /** Fail with this exitstatus … */
  message?: string
  /** … or succeed with this many `WARN:` lines (exitstatus `WARNINGS: n`). */
  warnings?: number
}

export interface SimFaults {
  /** The next `count` requests (matching `match`) get this 59x with an empty body (and no effect, unless `afterEffect`). */
  proxyErrors: {
    count: number
    /** 595-599, or 0 to reset the connection without any answer. */
    status: number
    reason: string
    match?: (method: string, path: string) => boolean
    /**
     * The request is handled, then its answer lost (pveproxy's 30 s inactivity timeout on a
     * slow handler, docs/proxmox-api.md#proxy-errors): the operation happens although the
     * client sees a 59x.
     */
    afterEffect?: boolean
  }
  /** Probability that any request gets `596 Connection timed out` (seeded, reproducible). */
  errorRate: number
  /** Under load: requests beyond this many in flight get `596 Connection timed out`. */
  overloadAbove: number | null
  /** The next N VM flock acquisitions (non-template) time out: `can't lock file … - got timeout`. */
  lockTimeouts: number
  /** The next N clone POSTs find their newid just taken by another client (lost nextid race). */
  loseRace: number
  /** One-shot task outcomes, consumed in order per task type. */
  tasks: SimTaskFault[]
  /**
   * More full clones than this onto one storage at once fail on the storage lock
   * (`pve-storage-<id>' - got timeout`, docs/proxmox-api.md#parallel-clones). null: no limit.
   */
  storageCloneLimit: number | null
  /** Guest ignores ACPI: shutdown without forceStop ends `VM quit/powerdown failed - got timeout`. */
  acpiIgnored: boolean
}

export interface SimStorage {
  storage: string
  type: string
  content: string
  shared: 0 | 1
  active: 0 | 1
  enabled: 0 | 1
  /** Its size; VM disks on it use it up (default 500 GiB). */
  sizeGiB?: number
}

export interface SimTemplate {
  vmid: number
  name: string
  diskSize: string
  /** false: an ordinary VM (for "is not a template" checks). */
  template: boolean
  /** false: no cloud-init drive (ide2), like a template made from a plain install. */
  cloudInitDrive?: boolean
}

export interface PveSimOptions {
  node: string
  https: boolean
  host: string
  port: number
  tokens: SimToken[]
  templates: SimTemplate[]
  /** Resource pools; a clone with `pool` adds its VM to one, a destroy removes it. */
  pools: SimPool[]
  storages: SimStorage[]
  /** The node's memory; the host and every running VM use it up (default 128 GiB). */
  nodeMemoryMiB: number
  bridges: string[]
  timing: SimTiming
  faults: SimFaults
  backend: VmBackend | null
  guestSshPort: number
  /** Drop the `message` body field, like pve-http-server < 5.2.0 (docs/proxmox-api.md#errors). */
  legacyErrorBody: boolean
  /** Delay on every 401, 3000 in PVE (docs/proxmox-api.md#authentication). */
  authFailDelayMs: number
  version: string
  /**
   * Answer nextid with a JSON number (the schema's type) instead of PVE's string
   * (docs/proxmox-api.md#json-types).
   */
  nextIdAsNumber: boolean
  seed: number
  log: (line: string) => void
}

/** Every Proxmox task and the guest's boot take no time: what the benchmarks measure is ours. */
export const INSTANT_TASKS: Partial<SimTiming> = {
  cloneMs: 0,
  tempConfigDelayMs: 0,
  configMs: 0,
  resizeMs: 0,
  startMs: 0,
  stopMs: 0,
  destroyMs: 0,
  backupMs: 0,
}

export const DEFAULT_TIMING: SimTiming = {
  cloneMs: 150,
  tempConfigDelayMs: 20,
  configMs: 15,
  resizeMs: 15,
  startMs: 20,
  stopMs: 15,
  destroyMs: 15,
  cloneLockTimeoutMs: 1_000,
  lockTimeoutMs: 10_000,
  secondMs: 1_000,
  latencyMs: 0,
  resourcesLagMs: 0,
  downloadMs: 50,
  importMs: 100,
  backupMs: 100,
  snapshotMs: 30,
}

export const DEFAULT_FAULTS: SimFaults = {
  proxyErrors: { count: 0, status: 596, reason: 'Connection timed out' },
  errorRate: 0,
  overloadAbove: null,
  loseRace: 0,
  lockTimeouts: 0,
  storageCloneLimit: null,
  tasks: [],
  acpiIgnored: false,
}

/** Every privilege a token may need here (checked as `Permission check failed (<path>, <priv>)`). */
export const ALL_PRIVILEGES = [
  'VM.Allocate',
  'VM.Audit',
  'VM.Clone',
  'VM.Config.CDROM',
  'VM.Config.CPU',
  'VM.Config.Cloudinit',
  'VM.Config.Disk',
  'VM.Config.HWType',
  'VM.Config.Memory',
  'VM.Config.Network',
  'VM.Config.Options',
  'VM.PowerMgmt',
  'VM.Backup',
  'VM.Snapshot',
  'VM.Snapshot.Rollback',
  'VM.GuestAgent.Audit',
  'VM.GuestAgent.FileWrite',
  'VM.GuestAgent.Unrestricted',
  'Datastore.Audit',
  'Datastore.AllocateSpace',
  'Pool.Audit',
  'Pool.Allocate',
  'Sys.Audit',
  'Sys.Modify',
  'Sys.AccessNetwork',
  'Datastore.AllocateTemplate',
  'SDN.Use',
]
