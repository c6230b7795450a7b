import { getGame } from './games'
import type { ChangeParams, DeploymentSpec } from './protocol'
import { SNAPSHOT_CAP, SNAPSHOT_PREFIX } from './snapshots'

/**
 * What a change of a deployment does and costs, decided once for the API, the reducer and the
 * dashboard's diff: which settings move, whether the VM restarts, whether the disk grows (it
 * never shrinks), whether a version upgrade can only be undone by a rollback, and which changes
 * are refused (another game, a smaller disk, an older game release than the world was saved by).
 */

export { SNAPSHOT_CAP, SNAPSHOT_PREFIX }

/**
 * The snapshot a change takes, named for it: a PVE `pve-configid` (a letter first, then
 * letters, digits, `-` or `_`; at most 40) from the job id, so a resumed job finds its own.
 */
export function snapshotName(jobId: string): string {
  const id = jobId
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 20)
  return `${SNAPSHOT_PREFIX}change-${id || 'x'}`
}

/**
 * The id of the rollback job of the change `jobId`: each hex digit complemented, so a job id in
 * UUID form gives another (the runner's job socket takes only those), minted by the reducer
 * without a random source, the same every time.
 */
export function rollbackJobId(jobId: string): string {
  return jobId.replace(/[0-9a-f]/g, (d) => (15 - parseInt(d, 16)).toString(16))
}

/** One field that moves, as the diff shows it (a sensitive field's values are never shown). */
export interface ChangeLine {
  key: string
  from: string
  to: string
  secret: boolean
}

export interface ChangeCost {
  /** CPU or memory change: the VM reboots (players are disconnected meanwhile). */
  restart: boolean
  /** The disk grows (it cannot shrink back). */
  diskGrows: boolean
  /** The game release moves up: worlds saved by it do not load in the old one. */
  versionUpgrade: boolean
  /**
   * Only the player lists move, on a game whose console is on: applied live through it, without
   * restarting the game (the runner restarts it only if the console fails).
   */
  live: boolean
}

const names = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((n): n is string => typeof n === 'string') : []

/**
 * What the console does for a change that moves only the player lists (and not the version), or
 * null when the change needs a restart: the game has no console, or it is off before or after,
 * or any other setting moves. `op` and `deop` list the operators added and removed (a name whose
 * case alone changes is neither); every name is checked against the game's own rule.
 */
export function livePlayers(
  from: DeploymentSpec,
  to: DeploymentSpec,
  secretKeys: readonly string[] = [],
): { op: string[]; deop: string[] } | null {
  const console_ = getGame(to.game)?.console
  const lists = console_?.liveLists
  if (!console_ || !lists || secretKeys.length > 0) return null
  const open = (s: DeploymentSpec) => console_.endpoint(s.gameConfig as never) !== null
  if (!open(from) || !open(to)) return null
  const lines = changeLines(from, to)
  if (lines.length === 0 || lines.some((l) => !lists.fields.includes(l.key))) return null
  const before = names(from.gameConfig[lists.operators])
  const after = names(to.gameConfig[lists.operators])
  const has = (list: string[], n: string) => list.some((m) => m.toLowerCase() === n.toLowerCase())
  const op = after.filter((n) => !has(before, n))
  const deop = before.filter((n) => !has(after, n))
  if ([...op, ...deop].some((n) => !console_.playerName.test(n))) return null
  return { op, deop }
}

/** The config fields every game sizes its VM with (`sizing(config)`): shown as the VM's size. */
const SIZING_FIELDS = new Set(['cores', 'memoryMb', 'diskGb'])

const show = (v: unknown): string =>
  v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v)

/**
 * The fields that move between two specs, sizing first, then the game's settings. A sensitive
 * field is sealed apart from the spec: `secretKeys` names the ones the caller saw change.
 */
export function changeLines(
  from: DeploymentSpec,
  to: DeploymentSpec,
  secretKeys: readonly string[] = [],
): ChangeLine[] {
  const sensitive = new Set(getGame(to.game)?.sensitiveFields ?? [])
  const lines: ChangeLine[] = []
  const sizing = [
    ['cores', from.cores, to.cores],
    ['memoryMiB', from.memoryMiB, to.memoryMiB],
    ['diskGiB', from.diskGiB, to.diskGiB],
  ] as const
  for (const [key, a, b] of sizing)
    if (a !== b) lines.push({ key, from: String(a), to: String(b), secret: false })
  const keys = new Set([...Object.keys(from.gameConfig), ...Object.keys(to.gameConfig)])
  for (const key of [...keys].sort()) {
    // The form's sizing fields are the VM's size, listed above once.
    if (SIZING_FIELDS.has(key)) continue
    const a = show(from.gameConfig[key])
    const b = show(to.gameConfig[key])
    if (a === b) continue
    const secret = sensitive.has(key)
    lines.push({ key, from: secret ? '' : a, to: secret ? '' : b, secret })
  }
  for (const key of secretKeys)
    if (!lines.some((l) => l.key === key)) lines.push({ key, from: '', to: '', secret: true })
  return lines
}

/** `1.21.4` < `1.21.10` < `26.1`; null when either is not a dotted release number. */
export function compareReleases(a: string, b: string): number | null {
  const re = /^\d+(\.\d+)*$/
  if (!re.test(a) || !re.test(b)) return null
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return Math.sign(d)
  }
  return 0
}

/** The release a config pins, or null (`latest`, or a game without versions). */
function pinnedVersion(spec: DeploymentSpec): string | null {
  const v = spec.gameConfig.version
  return typeof v === 'string' && v !== 'latest' ? v : null
}

export function changeCost(
  from: DeploymentSpec,
  to: DeploymentSpec,
  installed?: string,
  secretKeys: readonly string[] = [],
): ChangeCost {
  const target = pinnedVersion(to)
  const current = installed ?? pinnedVersion(from)
  const cmp = target && current ? compareReleases(target, current) : null
  return {
    restart: from.cores !== to.cores || from.memoryMiB !== to.memoryMiB,
    diskGrows: to.diskGiB > from.diskGiB,
    versionUpgrade: (cmp !== null && cmp > 0) || (pinnedVersion(from) !== null && !target),
    live: livePlayers(from, to, secretKeys) !== null,
  }
}

/** Why this change is refused, in words for the admin, or null when it may go ahead. */
export function changeRefusal(
  from: DeploymentSpec,
  to: DeploymentSpec,
  installed?: string,
  secretKeys: readonly string[] = [],
  updateTo?: string,
): string | null {
  if (to.game !== from.game) return 'a deployment cannot change game: deploy a new one'
  if (to.deploymentId !== from.deploymentId || to.ipAddress !== from.ipAddress)
    return 'a change keeps the deployment and its address'
  if (to.diskGiB < from.diskGiB)
    return `the disk can only grow: ${to.diskGiB} GiB is smaller than its ${from.diskGiB} GiB`
  const target = pinnedVersion(to)
  const current = installed ?? pinnedVersion(from)
  const cmp = target && current ? compareReleases(target, current) : null
  if (cmp !== null && cmp < 0)
    return `downgrading from ${current} to ${target} is refused: a world saved by ${current} uses a newer world format that ${target} cannot load (restore a backup from before the upgrade instead)`
  if (updateTo !== undefined) {
    const refusal = updateRefusal(to, installed, updateTo)
    if (refusal) return refusal
  } else if (changeLines(from, to, secretKeys).length === 0) return 'nothing would change'
  return null
}

/**
 * Why an update of a deployment on the `latest` channel to `updateTo` (the newest release a
 * runner saw) is refused, or null. A pinned version stays pinned: it moves only by an edit.
 */
export function updateRefusal(
  spec: DeploymentSpec,
  installed: string | undefined,
  updateTo: string,
): string | null {
  if (spec.gameConfig.version !== 'latest')
    return 'a pinned version stays pinned: edit the deployment to choose another version'
  if (!installed) return 'the installed version is not known yet'
  const cmp = compareReleases(updateTo, installed)
  if (cmp === null) return `${updateTo} is not a release version`
  if (cmp < 0)
    return `downgrading from ${installed} to ${updateTo} is refused: a world saved by ${installed} uses a newer world format that ${updateTo} cannot load`
  if (cmp === 0) return `${installed} is already the newest release`
  return null
}

/** The job's parameters: its snapshot, the cap, and what changes (no secret values). */
export function changeParams(
  jobId: string,
  from: DeploymentSpec,
  to: DeploymentSpec,
  secretKeys: readonly string[] = [],
  update?: { from: string; to: string },
): ChangeParams {
  const lines = changeLines(from, to, secretKeys)
  if (update) lines.push({ key: 'version', from: update.from, to: update.to, secret: false })
  const summary = lines.map((l) =>
    (l.secret ? `${l.key} changed` : `${l.key}: ${l.from} → ${l.to}`).slice(0, 300),
  )
  const players = update ? null : livePlayers(from, to, secretKeys)
  return {
    snapshot: snapshotName(jobId),
    keepSnapshots: SNAPSHOT_CAP,
    summary,
    ...(players ? { players } : {}),
  }
}
