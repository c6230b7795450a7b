import { describe, expect, it } from 'vitest'
import {
  reduce,
  SCHEDULE_WAIT_MS,
  scheduleDeadline,
  type DeploymentState,
} from '../../core/deployment'
import type { Schedule } from '../../core/schedules'
import { deployedSteps, frame, kinds, leased, play, T0 } from './reduce-helpers'

/** Scheduled actions through the reducer: when they run, what they start, how a run is told. */

const HOUR = 60 * 60_000
const backupEveryHour: Schedule = {
  id: '00000000-0000-4000-8000-000000000001',
  action: 'backup',
  when: { every: 'hours', hours: 1 },
  timeZone: 'UTC',
  enabled: true,
  keep: { daily: 7, weekly: 4 },
}
const stopEveryHour: Schedule = {
  ...backupEveryHour,
  id: '00000000-0000-4000-8000-000000000002',
  action: 'stop',
  keep: undefined,
}

function ready(): DeploymentState {
  return play(deployedSteps(), frame({ type: 'job.done', outcome: 'succeeded' })).state
}

const set = (schedules: Schedule[], at = T0) =>
  ({ type: 'set_schedules', schedules, minuteMs: 60_000, at }) as const
const due = (jobId: string, at: number) =>
  ({ type: 'schedule_due', jobId, minuteMs: 60_000, at }) as const

describe('scheduled actions', () => {
  it('starts a scheduled backup with its retention, then tells how the run went', () => {
    const withSchedule = play(ready(), set([backupEveryHour])).state
    expect(withSchedule.schedules?.[0]?.nextAt).toBe(T0 + HOUR)
    expect(scheduleDeadline(withSchedule)).toBe(T0 + HOUR)
    // Not yet due.
    expect(reduce(withSchedule, due('s-1', T0 + HOUR - 1)).refused).toBe('no schedule is due')

    const started = play(withSchedule, due('s-1', T0 + HOUR))
    expect(started.state.status).toBe('backing_up')
    expect(started.state.job).toMatchObject({
      jobId: 's-1',
      kind: 'backup',
      scheduleId: backupEveryHour.id,
      backup: { kind: 'scheduled', keep: { daily: 7, weekly: 4 }, timeZone: 'UTC' },
    })
    expect(kinds(started.effects)).toEqual(['save', 'insert_row', 'dispatch'])
    expect(started.state.schedules?.[0]).toMatchObject({
      nextAt: T0 + 2 * HOUR,
      last: { dueAt: T0 + HOUR, outcome: 'queued', jobId: 's-1' },
    })
    // While the job runs, no alarm is needed for the schedule.
    expect(scheduleDeadline(started.state)).toBeNull()

    // No runner online for 20 minutes: the run shows it started late.
    const late = T0 + HOUR + 20 * 60_000
    const running = play(started.state, leased('s-1', late))
    expect(running.state.schedules?.[0]?.last).toMatchObject({
      outcome: 'running',
      startedAt: late,
    })
    const failed = play(
      running.state,
      frame(
        { type: 'job.done', outcome: 'failed', error: { message: 'storage full' } },
        's-1',
        late + 5,
      ),
    )
    expect(failed.state.status).toBe('ready')
    expect(failed.state.schedules?.[0]?.last).toMatchObject({
      outcome: 'failed',
      reason: 'storage full',
    })
    expect(failed.effects).toContainEqual({
      type: 'schedule_failed',
      scheduleId: backupEveryHour.id,
      action: 'backup',
      error: 'storage full',
    })
  })

  it('waits for a running job, then misses a run held up for over an hour', () => {
    const busy = play(ready(), set([backupEveryHour]), {
      type: 'power',
      action: 'restart',
      jobId: 'r',
      at: T0 + 10,
    }).state
    expect(reduce(busy, due('s-1', T0 + HOUR)).refused).toMatch(/waits for its end/)
    const back = play(
      busy,
      leased('r'),
      frame({ type: 'job.done', outcome: 'succeeded' }, 'r'),
    ).state
    // The job's end re-arms the alarm for the due schedule.
    expect(scheduleDeadline(back)).toBe(T0 + HOUR)
    const missed = play(back, due('s-2', T0 + HOUR + SCHEDULE_WAIT_MS + 1))
    expect(missed.state.job).toBeNull()
    expect(missed.state.schedules?.[0]?.last).toMatchObject({
      outcome: 'missed',
      reason: 'the deployment was busy for over 60 minutes',
    })
    expect(kinds(missed.effects)).toContain('schedule_failed')
    expect(missed.state.schedules?.[0]?.nextAt).toBe(T0 + 3 * HOUR)
  })

  it('skips a stop when already stopped, without an alert; a disabled schedule never runs', () => {
    const stopped = play(
      ready(),
      { type: 'power', action: 'stop', jobId: 'p', at: T0 },
      leased('p'),
      frame({ type: 'job.done', outcome: 'succeeded' }, 'p'),
      set([stopEveryHour, { ...backupEveryHour, enabled: false }]),
    ).state
    expect(stopped.schedules?.[1]?.nextAt).toBeNull()
    const skipped = play(stopped, due('x', T0 + HOUR))
    expect(skipped.state.schedules?.[0]?.last).toMatchObject({
      outcome: 'skipped',
      reason: 'the server was already stopped',
    })
    expect(kinds(skipped.effects)).toEqual(['save'])
  })

  it('keeps a schedule’s last run and origin when the admin saves it unchanged', () => {
    const first = play(ready(), set([stopEveryHour]), due('p', T0 + HOUR)).state
    const resaved = play(first, set([stopEveryHour], T0 + HOUR + 5)).state
    expect(resaved.schedules?.[0]?.last?.jobId).toBe('p')
    expect(resaved.schedules?.[0]?.anchor).toBe(T0)
    const retimed = play(
      first,
      set([{ ...stopEveryHour, when: { every: 'hours', hours: 2 } }], T0 + HOUR + 5),
    ).state
    expect(retimed.schedules?.[0]?.nextAt).toBe(T0 + 3 * HOUR + 5)
  })

  it('warns the players before a scheduled restart, never before one asked from the dashboard', () => {
    const restartHourly: Schedule = { ...stopEveryHour, action: 'restart' }
    const fired = play(ready(), set([restartHourly]), due('r-1', T0 + HOUR)).state
    expect(fired.status).toBe('restarting')
    expect(fired.steps.map((s) => s.name)).toEqual([
      'warn_players',
      'stop_vm',
      'start',
      'wait_ssh',
      'verify',
    ])
    expect(fired.job?.power?.warnings).toEqual([
      { beforeMs: 600_000, text: 'The server restarts in 10 minutes.' },
      { beforeMs: 60_000, text: 'The server restarts in 1 minute.' },
      { beforeMs: 10_000, text: 'The server restarts in 10 seconds.' },
    ])
    const asked = play(ready(), { type: 'power', action: 'restart', jobId: 'm', at: T0 }).state
    expect(asked.job?.power).toBeUndefined()
  })
})
