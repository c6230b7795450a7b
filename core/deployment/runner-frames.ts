import { CLOSE, type RunnerToDeployment, type StepView } from '../protocol'
import type { DeploymentInput, Reduction } from './effects'
import { changeJobDone } from './change'
import { jobCheckpoint } from './model'
import type { Draft } from './draft'
import { successEvent, type DeploymentEvent } from './status'

type FrameInput = Extract<DeploymentInput, { type: 'runner_frame' }>
type Frame<T extends RunnerToDeployment['type']> = Extract<RunnerToDeployment, { type: T }>

/**
 * A frame from the runner on a job socket: hello, step events, log batches, the end of the job.
 * Frames for a job this deployment no longer runs (finished, cancelled, taken over) close the
 * socket with JOB_GONE so the runner lets go of it.
 */
export function runnerFrame(d: Draft, input: FrameInput): Reduction {
  const job = d.s.job
  const msg = input.frame
  if (
    !job ||
    job.jobId !== input.jobId ||
    msg.jobId !== input.jobId ||
    job.runnerId !== input.runnerId
  ) {
    d.effects.push({
      type: 'close_socket',
      code: CLOSE.JOB_GONE,
      reason: 'this job is no longer yours',
    })
    return d.done()
  }
  job.lastActivityAt = input.at
  switch (msg.type) {
    case 'job.hello':
      d.effects.push({
        type: 'reply',
        frame: {
          type: 'job.welcome',
          jobId: job.jobId,
          ackedSeq: job.ackedSeq,
          checkpoint: jobCheckpoint(d.s),
          cancelRequested: job.cancelRequested,
        },
      })
      d.effects.push({ type: 'store' })
      return d.done()
    case 'logs': {
      // Resent lines (after a reconnect) are dropped by their seq: nothing twice, order kept.
      const fresh = msg.lines.filter((l) => l.seq > job.ackedSeq)
      if (fresh.length > 0) {
        job.ackedSeq = fresh[fresh.length - 1]!.seq
        d.effects.push({ type: 'append_logs', jobId: job.jobId, lines: fresh })
      } else d.effects.push({ type: 'store' })
      // Sent after the write: the output gate holds it until the lines are durable.
      d.effects.push({
        type: 'reply',
        frame: { type: 'logs.ack', jobId: job.jobId, seq: job.ackedSeq },
      })
      d.effects.push({ type: 'arm_alarm' })
      return d.done()
    }
    case 'step':
      return step(d, msg)
    case 'job.done':
      return jobDone(d, msg, input.at)
  }
}

function step(d: Draft, msg: Frame<'step'>): Reduction {
  const job = d.s.job!
  const current = d.s.steps.find((s) => s.name === msg.step)
  const next = msg.next === undefined ? null : d.s.steps.find((s) => s.name === msg.next)
  if (!current || next === undefined) {
    const name = current ? msg.next : msg.step
    return badFrame(d, `step ${name} is not part of a ${job.kind} job`)
  }
  if (next && msg.status !== 'done')
    return badFrame(d, `only a done step names the next one (${msg.step} is ${msg.status})`)
  if (msg.status === 'running') {
    // The runner replays the running step after every reconnect: the same step, no change.
    if (!stepStarted(d, current, msg.at)) {
      d.effects.push({ type: 'store' })
      return d.done()
    }
  } else if (msg.status === 'done') {
    current.status = 'done'
    current.endedAt = msg.at
    const cp = msg.checkpoint
    const checkpoint = d.s.checkpoint
    if (cp?.vmid !== undefined) checkpoint.vmid = cp.vmid
    if (cp?.ip !== undefined) checkpoint.ip = cp.ip
    if (cp?.gameVersion !== undefined) checkpoint.gameVersion = cp.gameVersion
    // Pinned once: a runner never replaces the key a deployment's VM was first seen with.
    if (cp?.hostKey !== undefined) checkpoint.hostKey ??= cp.hostKey
    if (cp?.upid !== undefined) checkpoint.upids[msg.step] = cp.upid
    // A deploy's done steps live in the checkpoint (kept for a retry), others' in the job.
    const doneSteps = job.kind === 'deploy' ? checkpoint.doneSteps : (job.doneSteps ??= [])
    if (!doneSteps.includes(msg.step)) doneSteps.push(msg.step)
    if (next) stepStarted(d, next, msg.at)
  } else {
    current.status = 'failed'
    current.endedAt = msg.at
    current.error = msg.error ?? { message: `step ${msg.step} failed` }
  }
  d.save()
  return d.done()
}

function badFrame(d: Draft, reason: string): Reduction {
  // Only the refusal: nothing of the frame is kept.
  return {
    state: d.s,
    effects: [{ type: 'close_socket', code: CLOSE.BAD_FRAME, reason }],
  }
}

/**
 * A step reported running: its event applied and the step reset for this attempt. False when
 * nothing changed (a replay after a reconnect, or an event the state machine refuses).
 */
function stepStarted(d: Draft, step: StepView, at: number): boolean {
  if (step.status === 'running') return false
  if (!d.apply({ type: 'step_started', step: step.name })) return false
  step.status = 'running'
  step.startedAt = at
  step.endedAt = null
  step.error = null
  step.attempt += 1
  return true
}

function jobDone(d: Draft, msg: Frame<'job.done'>, at: number): Reduction {
  const job = d.s.job!
  const s = d.s
  if (job.kind === 'backup') return backupDone(d, msg, at)
  if (job.kind === 'change' || job.kind === 'rollback') return changeJobDone(d, msg, at)
  const event: DeploymentEvent =
    msg.outcome === 'succeeded'
      ? successEvent(job.kind)
      : msg.outcome === 'failed'
        ? { type: 'job_failed' }
        : { type: 'job_cancelled' }
  // e.g. a runner-side cancel nobody asked for: recorded as a failure instead.
  if (!d.apply(event) && !d.apply({ type: 'job_failed' })) return d.done()
  if (msg.outcome === 'succeeded') {
    // A destroy the cleanup policy queued keeps the failure that caused it on record.
    if (!job.auto) s.error = null
    if (job.kind === 'deploy' || job.kind === 'template' || job.kind === 'bake')
      s.result = msg.result ?? {}
    if (job.kind === 'template') d.effects.push({ type: 'template_built', result: msg.result })
    if (job.kind === 'bake') d.effects.push({ type: 'template_baked', result: msg.result })
    // Start and restart verified the game again: what it answers now.
    if ((job.kind === 'start' || job.kind === 'restart') && msg.result) s.result = msg.result
    if (job.kind === 'destroy') s.checkpoint = { upids: {}, doneSteps: [] }
    if (job.kind === 'restore') s.restore = null
    // Restore verified the game again, as it is now.
    if (job.kind === 'restore' && msg.result) s.result = msg.result
  } else if (msg.outcome === 'failed' || s.status === 'failed') {
    s.failedKind = job.kind
    s.error = msg.error ?? { message: 'the job failed without saying why' }
  }
  // A step still shown running ended with the job: cancelled, or failed with the job's error.
  for (const step of s.steps) {
    if (step.status !== 'running') continue
    step.status = msg.outcome === 'cancelled' ? 'cancelled' : 'failed'
    step.endedAt = at
    step.error = msg.outcome === 'cancelled' ? { message: 'cancelled' } : (msg.error ?? null)
  }
  d.endJob(
    msg.outcome === 'succeeded' ? 'done' : msg.outcome === 'failed' ? 'failed' : 'cancelled',
    at,
  )
  d.effects.push({ type: 'close_socket', code: 1000, reason: 'job finished' })
  return d.done()
}

/** The end of a backup: the steps still running close with it, the deployment is as it was. */
function backupDone(d: Draft, msg: Frame<'job.done'>, at: number): Reduction {
  for (const step of d.s.steps) {
    if (step.status !== 'running') continue
    step.status = msg.outcome === 'cancelled' ? 'cancelled' : 'failed'
    step.endedAt = at
    step.error = msg.error ?? null
  }
  const status = msg.outcome === 'succeeded' ? 'done' : msg.outcome
  const error =
    msg.outcome === 'failed'
      ? (msg.error?.message ?? 'the backup failed without saying why')
      : undefined
  d.endBackup(status, at, error)
  d.effects.push({ type: 'close_socket', code: 1000, reason: 'job finished' })
  return d.done()
}
