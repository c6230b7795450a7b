import * as z from 'zod'

/**
 * Scheduled actions of a deployment (backups, restarts, stop and start windows): what the admin
 * writes, when each next comes due in the admin's time zone, and which scheduled backups a
 * retention policy keeps. Pure: the deployment's Durable Object runs them from its alarm.
 */

export const ScheduleAction = z.enum(['backup', 'restart', 'stop', 'start'])
export type ScheduleAction = z.infer<typeof ScheduleAction>

/** A wall-clock time, `HH:MM` (24 h). */
const ClockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day such as 04:00 (24-hour clock)')

/** An IANA time zone this runtime knows, e.g. `Europe/Paris` or `UTC`. */
export const TimeZone = z
  .string()
  .max(64)
  .regex(/^[A-Za-z][A-Za-z0-9_+\-/]*$/, 'must be a time zone such as Europe/Paris')
  .refine(isTimeZone, 'is not a time zone this server knows (e.g. Europe/Paris, UTC)')

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

export const ScheduleWhen = z.discriminatedUnion('every', [
  z.object({ every: z.literal('day'), at: ClockTime }),
  /** `day`: 0 = Sunday … 6 = Saturday. */
  z.object({ every: z.literal('week'), day: z.number().int().min(0).max(6), at: ClockTime }),
  z.object({ every: z.literal('hours'), hours: z.number().int().min(1).max(168) }),
])
export type ScheduleWhen = z.infer<typeof ScheduleWhen>

/** Which scheduled backups are kept: the newest of each of the last N days, then of M weeks. */
export const Retention = z.object({
  daily: z.number().int().min(0).max(366),
  weekly: z.number().int().min(0).max(520),
})
export type Retention = z.infer<typeof Retention>

export const DEFAULT_RETENTION: Retention = { daily: 7, weekly: 4 }

export const MAX_SCHEDULES = 10

export const Schedule = z
  .object({
    id: z.string().uuid(),
    action: ScheduleAction,
    when: ScheduleWhen,
    timeZone: TimeZone,
    enabled: z.boolean().default(true),
    /** Backups only: which of this schedule's backups retention keeps. */
    keep: Retention.optional(),
  })
  .refine((s) => s.action === 'backup' || s.keep === undefined, {
    message: 'only a backup schedule keeps backups',
    path: ['keep'],
  })
export type Schedule = z.infer<typeof Schedule>

export const ScheduleList = z
  .array(Schedule)
  .max(MAX_SCHEDULES, `at most ${MAX_SCHEDULES} schedules per deployment`)
  .refine((list) => new Set(list.map((s) => s.id)).size === list.length, 'schedule ids repeat')

/** How a schedule's last run went, as the deployment page shows it. */
export interface ScheduleRun {
  dueAt: number
  outcome: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'missed' | 'skipped'
  jobId?: string
  /** When a runner took the job (late when no runner was online at `dueAt`). */
  startedAt?: number
  /** Why it was missed or skipped, or the job's error. */
  reason?: string
}

/** A schedule as the deployment's object keeps it. */
export interface ScheduleState extends Schedule {
  /** The origin of an every-N-hours schedule (when it was saved). */
  anchor: number
  /** When it next comes due; null when disabled. */
  nextAt: number | null
  last?: ScheduleRun
}

// ---------------------------------------------------------------- time zones

interface LocalTime {
  year: number
  month: number
  day: number
  hour: number
  minute: number
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    })
    formatters.set(tz, f)
  }
  return f
}

/** The wall-clock time in `tz` at the instant `ms`. */
export function localTime(ms: number, tz: string): LocalTime {
  const parts: Record<string, number> = {}
  for (const p of formatter(tz).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value)
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour! % 24,
    minute: parts.minute!,
  }
}

/** Minutes `tz` is ahead of UTC at the instant `ms`. */
function offsetMs(ms: number, tz: string): number {
  const l = localTime(ms, tz)
  const asUtc = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute)
  return asUtc - Math.floor(ms / 60_000) * 60_000
}

/**
 * The instant the clocks of `tz` show this wall time. A time skipped by a DST change (02:30 on
 * the spring-forward night) falls an hour later; a time shown twice takes the first.
 */
export function zonedInstant(l: LocalTime, tz: string): number {
  const guess = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute)
  // The offsets in force a day either side: the two a DST change can put at this wall time.
  const offsets = [offsetMs(guess - 86_400_000, tz), offsetMs(guess + 86_400_000, tz)]
  const instants = offsets.map((o) => guess - o)
  const shown = instants.filter((ms) => localMatches(ms, l, tz))
  return shown.length > 0 ? Math.min(...shown) : Math.max(...instants)
}

function localMatches(ms: number, l: LocalTime, tz: string): boolean {
  const at = localTime(ms, tz)
  return at.hour === l.hour && at.minute === l.minute && at.day === l.day
}

/** The calendar day after (or `n` days from) a local date. */
function addDays(l: LocalTime, n: number): LocalTime {
  const d = new Date(Date.UTC(l.year, l.month - 1, l.day + n))
  return { ...l, year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() }
}

function weekday(l: LocalTime): number {
  return new Date(Date.UTC(l.year, l.month - 1, l.day)).getUTCDay()
}

/**
 * When a schedule next comes due strictly after `after`. `minuteMs` is a minute's length: 60,000
 * in production; tests shorten every-N-hours schedules with it.
 */
export function nextRun(
  s: Pick<Schedule, 'when' | 'timeZone'>,
  anchor: number,
  after: number,
  minuteMs = 60_000,
): number {
  const w = s.when
  if (w.every === 'hours') {
    const interval = w.hours * 60 * minuteMs
    const n = Math.max(0, Math.floor((after - anchor) / interval) + 1)
    return anchor + n * interval
  }
  const [hour, minute] = w.at.split(':').map(Number) as [number, number]
  const today = localTime(after, s.timeZone)
  // A week and a day covers every weekday even across a DST change.
  for (let i = 0; i <= 8; i++) {
    const date = { ...addDays(today, i), hour, minute }
    if (w.every === 'week' && weekday(date) !== w.day) continue
    const at = zonedInstant(date, s.timeZone)
    if (at > after) return at
  }
  throw new Error('no next run within 8 days')
}

// ---------------------------------------------------------------- retention

export interface Prunable {
  volid: string
  createdAt: number
  kind: 'manual' | 'scheduled' | 'safety'
  protected: boolean
}

function dayKey(ms: number, tz: string): string {
  const l = localTime(ms, tz)
  return `${l.year}-${l.month}-${l.day}`
}

/** The ISO 8601 week (Monday first) of the local date at `ms`. */
function weekKey(ms: number, tz: string): string {
  const l = localTime(ms, tz)
  // The Thursday of the same week decides its year and number.
  const thursday = new Date(Date.UTC(l.year, l.month - 1, l.day))
  thursday.setUTCDate(thursday.getUTCDate() + 3 - ((thursday.getUTCDay() + 6) % 7))
  const year = thursday.getUTCFullYear()
  const week = Math.ceil(((thursday.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7)
  return `${year}-W${week}`
}

/**
 * Which backups retention removes: only scheduled, unprotected ones; manual and safety backups
 * stay until the admin deletes them. Like Proxmox Backup Server's prune: the newest backup of each
 * of the last `daily` days with one is kept, then the newest of each of the last `weekly` weeks
 * not already holding a kept backup.
 */
export function pruneSelection(
  backups: readonly Prunable[],
  keep: Retention,
  tz: string,
): { keep: string[]; remove: string[] } {
  const candidates = backups
    .filter((b) => b.kind === 'scheduled' && !b.protected)
    .sort((a, b) => b.createdAt - a.createdAt)
  const kept = new Set<string>()
  const rules: [number, (ms: number) => string][] = [
    [keep.daily, (ms) => dayKey(ms, tz)],
    [keep.weekly, (ms) => weekKey(ms, tz)],
  ]
  for (const [count, key] of rules) {
    const covered = new Set(
      candidates.filter((b) => kept.has(b.volid)).map((b) => key(b.createdAt)),
    )
    let n = 0
    for (const b of candidates) {
      if (n >= count) break
      if (kept.has(b.volid)) continue
      const k = key(b.createdAt)
      if (covered.has(k)) continue
      covered.add(k)
      kept.add(b.volid)
      n++
    }
  }
  const remove = candidates.filter((b) => !kept.has(b.volid)).map((b) => b.volid)
  const keepAll = backups.filter((b) => !remove.includes(b.volid)).map((b) => b.volid)
  return { keep: keepAll, remove }
}
