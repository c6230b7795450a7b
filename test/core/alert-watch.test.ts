import { describe, expect, it } from 'vitest'
import { healthReport, lifecycleAlerts, scheduledFailedAlert } from '../../core/alert-lifecycle'
import {
  healthSignal,
  observeServer,
  runnerBack,
  runnerDeadline,
  runnerDueAt,
  runnerGone,
  serverDeadline,
  serverDueAt,
  type RunnerPresence,
  type RunnerWatch,
  type ServerWatch,
} from '../../core/alert-watch'
import type { AlertEvent } from '../../core/alerts'
import {
  initialState,
  reduce,
  type DeploymentInput,
  type DeploymentState,
} from '../../core/deployment'
import {
  DEPLOY_STEPS,
  type DeploymentSpec,
  type LiveStatus,
  type RunnerToDeployment,
} from '../../core/protocol'

/**
 * "Server down / back up" and "runner offline / back online", decided from Node: real deployment
 * states out of the reducer, fed through what the DeploymentDO reports (healthReport) and what the
 * AlertsDO decides (observeServer at each report, serverDeadline when its alarm rings).
 */

const SPEC: DeploymentSpec = {
  deploymentId: 'd-1',
  name: 'survival',
  game: 'minecraft',
  gameConfig: {},
  cores: 2,
  memoryMiB: 4096,
  diskGiB: 16,
  ipAddress: '127.0.0.50',
  sshPublicKeys: [],
}
const T0 = 1_700_000_000_000
const MIN = 60_000
const GRACE = 3 * MIN

type Body = RunnerToDeployment extends infer F
  ? F extends unknown
    ? Omit<F, 'v' | 'jobId'>
    : never
  : never
const frame = (body: Body, jobId: string, at = T0): DeploymentInput => ({
  type: 'runner_frame',
  runnerId: 'r',
  jobId,
  frame: { v: 1, jobId, ...body } as RunnerToDeployment,
  at,
})

function step(state: DeploymentState, input: DeploymentInput): DeploymentState {
  const out = reduce(state, input)
  if (out.refused) throw new Error(`${input.type} refused: ${out.refused}`)
  return out.state
}

function readyState(): DeploymentState {
  let s = initialState(SPEC, 'job-1', T0)
  s = step(s, { type: 'leased', jobId: 'job-1', runnerId: 'r', attempt: 1, at: T0 })
  s = step(s, frame({ type: 'step', step: DEPLOY_STEPS[0], status: 'running', at: T0 }, 'job-1'))
  DEPLOY_STEPS.forEach((name, i) => {
    const next = DEPLOY_STEPS[i + 1]
    s = step(s, frame({ type: 'step', step: name, status: 'done', at: T0, next }, 'job-1'))
  })
  return step(s, frame({ type: 'job.done', outcome: 'succeeded' }, 'job-1'))
}

const answering = (at: number): LiveStatus => ({
  checkedAt: at,
  power: 'running',
  game: { online: true, latencyMs: 3 },
})
const silent = (at: number): LiveStatus => ({
  checkedAt: at,
  power: 'running',
  game: { online: false, error: 'connection refused' },
})
const off = (at: number): LiveStatus => ({ checkedAt: at, power: 'stopped', game: null })

/**
 * One deployment as both objects see it: each input is reduced, its health report observed, and
 * the alarm rung at every due deadline up to the input's time (as the AlertsDO's alarm would).
 */
class Timeline {
  state = readyState()
  watch: ServerWatch | null = null
  readonly alerts: AlertEvent[] = []
  private readonly deployment = { id: SPEC.deploymentId, name: SPEC.name, game: SPEC.game }

  private alarmUntil(at: number) {
    const due = this.watch ? serverDueAt(this.watch, GRACE) : null
    if (this.watch && due !== null && due <= at) this.keep(serverDeadline(this.watch, GRACE, due))
  }

  private keep(out: { watch: ServerWatch | null; alert: AlertEvent | null }) {
    this.watch = out.watch
    if (out.alert) this.alerts.push(out.alert)
  }

  input(input: DeploymentInput, at: number): this {
    this.alarmUntil(at)
    const before = this.state
    this.state = step(before, input)
    const signal = healthReport(before, this.state)
    if (signal) this.keep(observeServer(this.watch, this.deployment, signal, at))
    return this
  }

  live(make: (at: number) => LiveStatus, at: number): this {
    return this.input({ type: 'live', live: make(at) }, at)
  }

  /** A power job the admin asked for, run through to its end. */
  power(action: 'stop' | 'start' | 'restart', at: number): this {
    const jobId = `${action}-${at}`
    this.input({ type: 'power', action, jobId, at }, at)
    this.input({ type: 'leased', jobId, runnerId: 'r', attempt: 1, at }, at)
    return this.input(frame({ type: 'job.done', outcome: 'succeeded' }, jobId, at + 1), at + 1)
  }

  until(at: number): this {
    this.alarmUntil(at)
    return this
  }

  types() {
    return this.alerts.map((a) => a.type)
  }
}

describe('server down and back up', () => {
  it('reads the health of a deployment from its state', () => {
    const ready = readyState()
    expect(healthSignal(ready)).toBe('unknown')
    expect(healthSignal({ ...ready, live: answering(T0) })).toBe('up')
    expect(healthSignal({ ...ready, live: silent(T0) })).toBe('down')
    expect(healthSignal({ ...ready, live: off(T0) })).toBe('down')
    expect(healthSignal({ ...ready, live: { ...off(T0), power: 'unknown' } })).toBe('unknown')
    expect(healthSignal({ ...ready, live: { ...off(T0), power: 'missing' } })).toBe('down')
    // A job of ours on its way, or a server meant to be off: never down.
    expect(healthSignal({ ...ready, status: 'stopped', live: off(T0) })).toBe('paused')
    const backingUp = step(ready, { type: 'backup', jobId: 'b', at: T0 })
    expect(healthSignal({ ...backingUp, live: silent(T0) })).toBe('paused')
    expect(healthSignal({ ...ready, status: 'destroyed' })).toBe('gone')
    expect(
      healthSignal({
        ...ready,
        spec: { ...SPEC, template: { release: '12', imageStorage: 'local' } },
        live: silent(T0),
      }),
    ).toBe('gone')
  })

  it('sends nothing for a flap inside the grace period', () => {
    const t = new Timeline()
      .live(answering, T0 + MIN)
      .live(silent, T0 + 2 * MIN)
      .live(off, T0 + 3 * MIN)
      .live(answering, T0 + 4 * MIN + 59_000)
      .until(T0 + 60 * MIN)
    expect(t.alerts).toEqual([])
    expect(t.watch).toBeNull()
  })

  it('sends down once the grace has passed, then back up when it answers again', () => {
    const t = new Timeline()
      .live(answering, T0 + MIN)
      .live(silent, T0 + 2 * MIN)
      .live(silent, T0 + 3 * MIN)
      .live(silent, T0 + 4 * MIN)
      .live(silent, T0 + 6 * MIN)
      .live(silent, T0 + 9 * MIN)
    expect(t.types()).toEqual(['server_down'])
    expect(t.alerts[0]).toMatchObject({
      at: T0 + 2 * MIN + GRACE,
      deployment: { id: 'd-1', name: 'survival', game: 'minecraft' },
      detail: 'It has not answered for 3 minutes.',
    })
    t.live(answering, T0 + 12 * MIN).live(answering, T0 + 13 * MIN)
    expect(t.types()).toEqual(['server_down', 'server_up'])
    expect(t.alerts[1]?.detail).toBe('It was down for about 10 minutes.')
    expect(t.watch).toBeNull()
  })

  it('never pages for a stop, start or restart the admin asked for', () => {
    const t = new Timeline().live(answering, T0 + MIN)
    // The game goes quiet just before the admin's restart; the restart takes 10 minutes.
    t.live(silent, T0 + 2 * MIN).input(
      { type: 'power', action: 'restart', jobId: 'p', at: T0 + 2 * MIN + 1 },
      T0 + 2 * MIN + 1,
    )
    t.input({ type: 'leased', jobId: 'p', runnerId: 'r', attempt: 1, at: T0 }, T0 + 3 * MIN)
    t.until(T0 + 12 * MIN)
    t.input(frame({ type: 'job.done', outcome: 'succeeded' }, 'p', T0 + 12 * MIN), T0 + 12 * MIN)
    t.live(answering, T0 + 13 * MIN)
    // Stopped for the night: the VM is off for hours, and that is what was asked.
    t.power('stop', T0 + 14 * MIN)
      .live(off, T0 + 15 * MIN)
      .until(T0 + 600 * MIN)
      .power('start', T0 + 600 * MIN)
      .live(answering, T0 + 601 * MIN)
    expect(t.alerts).toEqual([])
  })

  it('keeps an outage already reported open across a restart, and says when it is back', () => {
    const t = new Timeline()
      .live(answering, T0 + MIN)
      .live(silent, T0 + 2 * MIN)
      .until(T0 + 6 * MIN)
    expect(t.types()).toEqual(['server_down'])
    t.power('restart', T0 + 7 * MIN)
      .live(silent, T0 + 8 * MIN)
      .until(T0 + 20 * MIN)
    // Still down after the restart: not a second "down".
    expect(t.types()).toEqual(['server_down'])
    t.live(answering, T0 + 21 * MIN)
    expect(t.types()).toEqual(['server_down', 'server_up'])
  })

  it('forgets a server that is destroyed', () => {
    const watch: ServerWatch = {
      deployment: { id: 'd', name: 'n', game: 'g' },
      downSince: T0,
      alerted: true,
    }
    expect(observeServer(watch, watch.deployment, 'gone', T0)).toEqual({ watch: null, alert: null })
    expect(observeServer(watch, watch.deployment, 'unknown', T0)).toEqual({ watch, alert: null })
  })

  it('reports to the alerts only changes of signal and fresh downs', () => {
    const ready = readyState()
    const up = step(ready, { type: 'live', live: answering(T0 + 1) })
    expect(healthReport(ready, up)).toBe('up')
    expect(healthReport(up, step(up, { type: 'live', live: answering(T0 + 2) }))).toBeNull()
    const down = step(up, { type: 'live', live: silent(T0 + 3) })
    expect(healthReport(up, down)).toBe('down')
    expect(healthReport(down, step(down, { type: 'live', live: silent(T0 + 4) }))).toBe('down')
    // A step that is not a live report (the mirror's watermark) repeats nothing.
    expect(healthReport(down, structuredClone(down))).toBeNull()
  })
})

describe('backup failed', () => {
  it('raises backup_failed when a backup job ends failed, nothing when it succeeds', () => {
    const ready = readyState()
    const backing = step(step(ready, { type: 'backup', jobId: 'b', at: T0 }), {
      type: 'leased',
      jobId: 'b',
      runnerId: 'r',
      attempt: 1,
      at: T0,
    })
    const failed = step(
      backing,
      frame({ type: 'job.done', outcome: 'failed', error: { message: 'No space left' } }, 'b'),
    )
    expect(lifecycleAlerts(backing, failed, T0)).toEqual([
      {
        type: 'backup_failed',
        at: T0,
        deployment: { id: 'd-1', name: 'survival', game: 'minecraft' },
        detail: 'No space left',
      },
    ])
    const done = step(backing, frame({ type: 'job.done', outcome: 'succeeded' }, 'b'))
    expect(lifecycleAlerts(backing, done, T0)).toEqual([])
    // A power job that fails is a failed deployment, not a failed backup.
    const restarting = step(step(ready, { type: 'power', action: 'restart', jobId: 'p', at: T0 }), {
      type: 'leased',
      jobId: 'p',
      runnerId: 'r',
      attempt: 1,
      at: T0,
    })
    const broken = step(
      restarting,
      frame({ type: 'job.done', outcome: 'failed', error: { message: 'boom' } }, 'p'),
    )
    expect(lifecycleAlerts(restarting, broken, T0).map((a) => a.type)).toEqual([
      'deployment_failed',
    ])
  })
})

describe('runner offline and back online', () => {
  const runner = { id: 'r-1', name: 'garage' }
  const OFFLINE = 10 * MIN

  function ring(w: RunnerWatch, at: number, presence: RunnerPresence) {
    return runnerDeadline(w, OFFLINE, at, presence)
  }

  it('waits the configured minutes, then says offline once, and back online after it', () => {
    const gone = runnerGone(null, runner, T0)
    expect(runnerDueAt(gone, OFFLINE)).toBe(T0 + OFFLINE)
    expect(ring(gone, T0 + OFFLINE - 1, 'offline')).toEqual({ watch: gone, alert: null })
    const rung = ring(gone, T0 + OFFLINE, 'offline')
    expect(rung.alert).toMatchObject({
      type: 'runner_offline',
      runner,
      detail: 'It has not been connected for 10 minutes.',
    })
    // Another close of a socket while it is reported: still one outage, no second deadline.
    const again = runnerGone(rung.watch, runner, T0 + 20 * MIN)
    expect(runnerDueAt(again, OFFLINE)).toBeNull()
    expect(runnerBack(again, T0 + 30 * MIN).alert).toMatchObject({
      type: 'runner_online',
      detail: 'It was offline for about 30 minutes.',
    })
  })

  it('says nothing when it comes back inside the wait, or was revoked', () => {
    const gone = runnerGone(null, runner, T0)
    expect(runnerBack(gone, T0 + MIN)).toEqual({ watch: null, alert: null })
    // Back on a socket whose hello the alerts did not hear of: the hub's view wins.
    expect(ring(gone, T0 + OFFLINE, 'online')).toEqual({ watch: null, alert: null })
    expect(ring(gone, T0 + OFFLINE, 'revoked')).toEqual({ watch: null, alert: null })
    expect(runnerBack(null, T0)).toEqual({ watch: null, alert: null })
  })
})

describe('scheduled action failed', () => {
  it('names the deployment and says which action failed and why', () => {
    const failure = {
      deploymentId: 'd-1',
      name: 'survival',
      action: 'restart',
      error: 'the VM did not stop within 10 minutes',
    }
    expect(scheduledFailedAlert(failure, 'minecraft', T0)).toEqual({
      type: 'scheduled_failed',
      at: T0,
      deployment: { id: 'd-1', name: 'survival', game: 'minecraft' },
      detail: 'restart: the VM did not stop within 10 minutes',
    })
    const long = scheduledFailedAlert({ ...failure, error: 'x'.repeat(5000) }, null, T0)
    expect(long.deployment?.game).toBe('unknown')
    expect(long.detail?.length).toBeLessThanOrEqual(600)
  })
})
