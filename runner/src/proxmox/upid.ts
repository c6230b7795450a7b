/**
 * UPIDs, the ids of Proxmox tasks (docs/proxmox-api.md#upids):
 * `UPID:<node>:<pid 8 hex>:<pstart 8-9 hex>:<starttime 8 hex>:<type>:<id>:<user>:`.
 */

export interface Upid {
  upid: string
  /** The node that runs the task: status must be queried there (docs/proxmox-api.md#tasks). */
  node: string
  pid: number
  pstart: number
  starttime: number
  type: string
  /** Usually the VMID; for `qmclone` the SOURCE vmid; may be empty. */
  id: string
  user: string
}

const UPID_RE =
  /^UPID:([a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$/

/** Parse a UPID, or null when it is not one (the same regex as `PVE::UPID::decode`). */
export function parseUpid(upid: string): Upid | null {
  const m = UPID_RE.exec(upid)
  if (!m) return null
  const [, node = '', pid = '', pstart = '', starttime = '', type = '', id = '', user = ''] = m
  return {
    upid,
    node,
    pid: parseInt(pid, 16),
    pstart: parseInt(pstart, 16),
    starttime: parseInt(starttime, 16),
    type,
    id,
    user,
  }
}

/** Build a UPID the way `PVE::UPID::encode` does (used by the simulator). */
export function formatUpid(u: Omit<Upid, 'upid'>): string {
  const hex = (n: number): string => n.toString(16).toUpperCase().padStart(8, '0')
  return `UPID:${u.node}:${hex(u.pid)}:${hex(u.pstart)}:${hex(u.starttime)}:${u.type}:${u.id}:${u.user}:`
}

/** `OK` and `WARNINGS: n` are success; anything else is the error (docs/proxmox-api.md#tasks). */
export function isTaskSuccess(exitstatus: string): boolean {
  return exitstatus === 'OK' || /^WARNINGS: \d+$/.test(exitstatus)
}
