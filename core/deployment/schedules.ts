import { nextRun, type Schedule, type ScheduleAction, type ScheduleState } from '../schedules'
import type { Draft } from './draft'
import type { DeploymentInput, Reduction } from './effects'
import type { DeploymentState } from './model'
import type { DeploymentStatus } from './status'

/**
 * A schedule that comes due while another job runs waits for it, this long at most; after that
 * the run is missed (and said so), the next one is on time.
 */
export const SCHEDULE_WAIT_MS = 60 * 60_000

const JOB_KIND: Record<ScheduleAction, 'backup' | 'restart' | 'stop' | 'start'> = {
  backup: 'backup',
  restart: 'restart',
  stop: 'stop',
  start: 'start',
}

/**
 * What the players read before a scheduled stop or restart: 10 minutes, 1 minute and 10 seconds
 * before (in minutes of `minuteMs`, shortened in tests). Fixed product words, never user text: they
 * go to the game's console.
 */
export function warningsFor(
  kind: 'restart' | 'stop',
  minuteMs: number,
): { beforeMs: number; text: string }[] {
  const what = kind === 'restart' ? 'restarts' : 'stops'
  return [
    { beforeMs: 10 * minuteMs, text: `The server ${what} in 10 minutes.` },
    { beforeMs: minuteMs, text: `The server ${what} in 1 minute.` },
    { beforeMs: Math.round(minuteMs / 6), text: `The server ${what} in 10 seconds.` },
  ]
}

/**
 * When the alarm must wake for a schedule: the earliest due time, but only while no job runs (a
 * due schedule waits for the job's end, which re-arms the alarm).
 */
export function scheduleDeadline(state: DeploymentState): number | null {
  if (state.job || state.status === 'destroyed') return null
  const due = (state.schedules ?? []).flatMap((s) =>
    s.enabled && s.nextAt !== null ? [s.nextAt] : [],
  )
  return due.length === 0 ? null : Math.min(...due)
}

/** The admin's new list: runs of schedules that stay are kept, each gets its next due time. */
export function setSchedules(
  d: Draft,
  input: Extract<DeploymentInput, { type: 'set_schedules' }>,
): Reduction {
  const status = d.s.status
  if (status === 'destroyed' || status === 'destroying')
    return d.refuse(`schedules cannot be changed while ${status}`)
  const before = new Map((d.s.schedules ?? []).map((s) => [s.id, s]))
  d.s.schedules = input.schedules.map((s: Schedule): ScheduleState => {
    const old = before.get(s.id)
    // An every-N-hours schedule counts from when its timing was last changed.
    const sameTiming =
      old && JSON.stringify(old.when) === JSON.stringify(s.when) && old.timeZone === s.timeZone
    const anchor = sameTiming ? old.anchor : input.at
    return {
      ...s,
      anchor,
      nextAt: s.enabled ? nextRun(s, anchor, input.at, input.minuteMs) : null,
      ...(old?.last ? { last: old.last } : {}),
    }
  })
  d.save(false)
  return d.done()
}

/** Why a schedule's action cannot run now, or 'skip' with the reason when it is not needed. */
function blocked(
  action: ScheduleAction,
  status: DeploymentStatus,
): { outcome: 'missed' | 'skipped'; reason: string } | null {
  if (action === 'backup')
    return status === 'ready' || status === 'stopped'
      ? null
      : { outcome: 'missed', reason: `the deployment was ${status}` }
  if (status === 'stopped') {
    if (action === 'start') return null
    return { outcome: 'skipped', reason: 'the server was already stopped' }
  }
  if (status === 'ready') {
    if (action === 'start') return { outcome: 'skipped', reason: 'the server was already running' }
    return null
  }
  return { outcome: 'missed', reason: `the deployment was ${status}` }
}

/**
 * The alarm found a schedule due: start its job (queued in D1 like any job: with no runner
 * online it runs when one returns, and its run shows how late), or record why not.
 */
export function scheduleDue(
  d: Draft,
  input: Extract<DeploymentInput, { type: 'schedule_due' }>,
): Reduction {
  const { at } = input
  if (d.s.job) return d.refuse('a job is running: the schedule waits for its end')
  const due = (d.s.schedules ?? [])
    .filter((s) => s.enabled && s.nextAt !== null && s.nextAt <= at)
    .sort((a, b) => a.nextAt! - b.nextAt!)[0]
  if (!due) return d.refuse('no schedule is due')
  const dueAt = due.nextAt!
  due.nextAt = nextRun(due, due.anchor, at, input.minuteMs)
  const why =
    at - dueAt > SCHEDULE_WAIT_MS
      ? {
          outcome: 'missed' as const,
          reason: `the deployment was busy for over ${SCHEDULE_WAIT_MS / 60_000} minutes`,
        }
      : blocked(due.action, d.s.status)
  if (why) {
    due.last = { dueAt, ...why }
    if (why.outcome === 'missed')
      d.effects.push({
        type: 'schedule_failed',
        scheduleId: due.id,
        action: due.action,
        error: `missed: ${why.reason}`,
      })
    d.save(false)
    return d.done()
  }
  const kind = JOB_KIND[due.action]
  const started =
    kind === 'backup'
      ? d.backup(input.jobId, at, {
          kind: 'scheduled',
          ...(due.keep ? { keep: due.keep } : {}),
          timeZone: due.timeZone,
        })
      : d.power(kind, input.jobId, at)
  if (started.refused === undefined && (kind === 'restart' || kind === 'stop'))
    d.s.job!.power = { warnings: warningsFor(kind, input.minuteMs) }
  if (started.refused !== undefined) {
    due.last = { dueAt, outcome: 'missed', reason: started.refused }
    d.save(false)
    return d.done()
  }
  d.s.job!.scheduleId = due.id
  due.last = { dueAt, outcome: 'queued', jobId: input.jobId }
  // Saved before the job row exists, so a dispatcher never leases a job this object lacks.
  d.effects.push({
    type: 'insert_row',
    jobId: input.jobId,
    kind,
    audit: {
      action: 'deployment.scheduled_action',
      details: { scheduleId: due.id, action: due.action, dueAt: new Date(dueAt).toISOString() },
    },
  })
  d.effects.push({ type: 'dispatch' })
  return d.done()
}
