import { successEvent, type DeploymentEvent } from '../../core/deployment-state'
import { assertNever } from '../../core/assert'
import {
  CLOSE,
  encodeDashboardLogs,
  type RunnerToDeployment,
  type StepView,
} from '../../core/protocol'
import { frame } from './stubs'
import type { DeploymentLogLine, LogLine, ServerToDashboard } from '../../core/protocol'
import { jobCheckpoint, type DeploymentState, type SocketAttachment } from './deployment-model'
import type { LogMirror } from './log-mirror'

/** What handling a runner's frames needs of the deployment's object (`DeploymentDO`). */
export interface RunnerFrameHost {
  readonly mirror: LogMirror
  /** The worker's bindings, for a job's own hooks (a built template selected in Settings). */
  readonly bindings: Env
  state(): DeploymentState | null
  storeState(state: DeploymentState): void
  save(state: DeploymentState, options?: { d1?: boolean }): Promise<void>
  apply(state: DeploymentState, event: DeploymentEvent): boolean
  appendLogs(
    state: DeploymentState,
    lines: readonly LogLine[],
  ): { lines: DeploymentLogLine[]; json: string }
  broadcast(message: ServerToDashboard | string): void
  endJob(state: DeploymentState, status: 'done' | 'failed' | 'cancelled'): Promise<void>
  armAlarm(state: DeploymentState): Promise<void>
}
import { templateBuilt } from '../lib/template-job'

type RunnerAttachment = Extract<SocketAttachment, { role: 'runner' }>

/**
 * A frame from the runner on a job socket: hello, step events, log batches, the end of the job.
 * Frames for a job this deployment no longer runs (finished, cancelled, taken over) close the
 * socket with JOB_GONE so the runner lets go of it.
 */
export async function handleRunnerFrame(
  d: RunnerFrameHost,
  ws: WebSocket,
  att: RunnerAttachment,
  msg: RunnerToDeployment,
): Promise<void> {
  const state = d.state()
  const job = state?.job
  if (
    !state ||
    !job ||
    job.jobId !== att.jobId ||
    msg.jobId !== att.jobId ||
    job.runnerId !== att.runnerId
  ) {
    ws.close(CLOSE.JOB_GONE, 'this job is no longer yours')
    return
  }
  job.lastActivityAt = Date.now()

  switch (msg.type) {
    case 'job.hello': {
      ws.send(
        frame({
          type: 'job.welcome',
          jobId: job.jobId,
          ackedSeq: job.ackedSeq,
          checkpoint: jobCheckpoint(state),
          cancelRequested: job.cancelRequested,
        }),
      )
      d.storeState(state)
      return
    }

    case 'logs': {
      // Resent lines (after a reconnect) are dropped by their seq: nothing twice, order kept.
      const fresh = msg.lines.filter((l) => l.seq > job.ackedSeq)
      if (fresh.length > 0) {
        const stored = d.appendLogs(state, fresh)
        // A `logs` frame of ServerToDashboard, built around the JSON already encoded for storage.
        d.broadcast(encodeDashboardLogs(stored.json))
        await d.mirror.linesStored(state, stored.lines)
      }
      // Sent after the write: the output gate holds it until the lines are durable.
      ws.send(frame({ type: 'logs.ack', jobId: job.jobId, seq: job.ackedSeq }))
      await d.armAlarm(state)
      return
    }

    case 'step': {
      const step = state.steps.find((s) => s.name === msg.step)
      const next = msg.next === undefined ? null : state.steps.find((s) => s.name === msg.next)
      if (!step || next === undefined) {
        const name = step ? msg.next : msg.step
        ws.close(CLOSE.BAD_FRAME, `step ${name} is not part of a ${job.kind} job`)
        return
      }
      if (next && msg.status !== 'done') {
        ws.close(
          CLOSE.BAD_FRAME,
          `only a done step names the next one (${msg.step} is ${msg.status})`,
        )
        return
      }
      if (msg.status === 'running') {
        // The runner replays the running step after every reconnect: the same step, no change.
        if (!stepStarted(d, state, step, msg.at)) return d.storeState(state)
      } else if (msg.status === 'done') {
        step.status = 'done'
        step.endedAt = msg.at
        const cp = msg.checkpoint
        if (cp?.vmid !== undefined) state.checkpoint.vmid = cp.vmid
        if (cp?.ip !== undefined) state.checkpoint.ip = cp.ip
        if (cp?.gameVersion !== undefined) state.checkpoint.gameVersion = cp.gameVersion
        // Pinned once: a runner never replaces the key a deployment's VM was first seen with.
        if (cp?.hostKey !== undefined) state.checkpoint.hostKey ??= cp.hostKey
        if (cp?.upid !== undefined) state.checkpoint.upids[msg.step] = cp.upid
        // A deploy's done steps live in the checkpoint (kept for a retry), others' in the job.
        const done = job.kind === 'deploy' ? state.checkpoint.doneSteps : (job.doneSteps ??= [])
        if (!done.includes(msg.step)) done.push(msg.step)
        if (next) stepStarted(d, state, next, msg.at)
      } else {
        step.status = 'failed'
        step.endedAt = msg.at
        step.error = msg.error ?? { message: `step ${msg.step} failed` }
      }
      await d.save(state)
      return
    }

    case 'job.done': {
      const event: DeploymentEvent =
        msg.outcome === 'succeeded'
          ? successEvent(job.kind)
          : msg.outcome === 'failed'
            ? { type: 'job_failed' }
            : { type: 'job_cancelled' }
      if (!d.apply(state, event)) {
        // e.g. a runner-side cancel nobody asked for: record it as a failure instead.
        if (!d.apply(state, { type: 'job_failed' })) return
      }
      if (msg.outcome === 'succeeded') {
        // A destroy the cleanup policy queued keeps the failure that caused it on record.
        if (!job.auto) state.error = null
        if (job.kind === 'deploy') state.result = msg.result ?? {}
        if (job.kind === 'template') {
          state.result = msg.result ?? {}
          await templateBuilt(d.bindings, state.id, msg.result)
        }
        // Start and restart verified the game again: what it answers now.
        if ((job.kind === 'start' || job.kind === 'restart') && msg.result)
          state.result = msg.result
        if (job.kind === 'destroy') state.checkpoint = { upids: {}, doneSteps: [] }
      } else if (msg.outcome === 'failed' || state.status === 'failed') {
        state.failedKind = job.kind
        state.error = msg.error ?? { message: 'the job failed without saying why' }
      }
      // A step still shown running ended with the job: cancelled, or failed with the job's error.
      for (const s of state.steps) {
        if (s.status !== 'running') continue
        s.status = msg.outcome === 'cancelled' ? 'cancelled' : 'failed'
        s.endedAt = Date.now()
        s.error = msg.outcome === 'cancelled' ? { message: 'cancelled' } : (msg.error ?? null)
      }
      await d.endJob(
        state,
        msg.outcome === 'succeeded' ? 'done' : msg.outcome === 'failed' ? 'failed' : 'cancelled',
      )
      ws.close(1000, 'job finished')
      return
    }

    default:
      assertNever(msg)
  }
}

/**
 * A step reported running: its event applied and the step reset for this attempt. False when
 * nothing changed (a replay after a reconnect, or an event the state machine refuses).
 */
function stepStarted(
  d: RunnerFrameHost,
  state: DeploymentState,
  step: StepView,
  at: number,
): boolean {
  if (step.status === 'running') return false
  if (!d.apply(state, { type: 'step_started', step: step.name })) return false
  step.status = 'running'
  step.startedAt = at
  step.endedAt = null
  step.error = null
  step.attempt += 1
  return true
}
