import type { BackupParams, JobKind, PowerAction, StepError, StepName } from '../protocol'
import { undoChange } from './change'
import type { DeploymentEffect, DeploymentInput, JobEnd, Reduction } from './effects'
import {
  doneDeploySteps,
  freshSteps,
  LEASE_MS,
  newJob,
  STEP_TIMEOUT_MS,
  type DeploymentState,
} from './model'
import { scheduleEnded, scheduleStarted } from './schedule-runs'
import { transition, WATCHED, type DeploymentEvent, type DeploymentStatus } from './status'

function powerRefusal(action: PowerAction, status: DeploymentStatus): string {
  const verb = { start: 'starting', stop: 'stopping', restart: 'restarting' }[action]
  if (action === 'start' && status === 'ready') return 'the game is already running'
  if (action !== 'start' && status === 'stopped') return 'the game is already stopped'
  return `${verb} is not allowed while ${status}`
}

/** A state being reduced and the effects decided so far. */
export class Draft {
  readonly effects: DeploymentEffect[] = []

  constructor(readonly s: DeploymentState) {}

  done(): Reduction {
    return { state: this.s, effects: this.effects }
  }

  /** The input changes nothing; `refused` says why, for the admin. */
  refuse(reason: string): Reduction {
    return { state: this.s, effects: [], refused: reason }
  }

  /** Apply a status event; a refused one is reported (warn) and changes nothing. */
  apply(event: DeploymentEvent): boolean {
    const t = transition(this.s.status, event)
    if (!t.ok) {
      this.effects.push({ type: 'warn', message: t.reason })
      return false
    }
    this.s.status = t.to
    return true
  }

  /**
   * Persist and tell the dashboards. Entering or leaving ready/stopped also resets the live
   * status (a stale one from before a stop must not linger) and moves the runners' watch lists.
   */
  save(row = true): void {
    const watched = WATCHED.includes(this.s.status)
    const watchChanged = watched !== (this.s.watched ?? false)
    if (watchChanged) {
      this.s.watched = watched
      this.s.live = null
    }
    this.effects.push({ type: 'save', row: row || watchChanged, watchChanged })
  }

  /**
   * The one end of every job (its status already applied): the viewers hear it first, then the
   * job's D1 row is closed, the cleanup policy runs for a failed deploy, and the freed slot is
   * handed on.
   */
  endJob(status: JobEnd, at: number, error?: string): void {
    const job = this.s.job
    if (!job) return
    const failure = error ?? (status === 'failed' ? this.s.error?.message : undefined)
    this.effects.push(...scheduleEnded(this.s, job, status, failure))
    this.s.lastJob = {
      kind: job.kind,
      outcome: status === 'done' ? 'succeeded' : status,
      endedAt: at,
      ...(error !== undefined ? { error } : {}),
    }
    this.s.job = null
    this.save()
    this.effects.push({ type: 'close_row', jobId: job.jobId, status })
    if (job.kind === 'deploy' && this.s.status === 'failed')
      this.effects.push({ type: 'apply_cleanup_policy' })
    this.effects.push({ type: 'dispatch' })
  }

  /** A job ends failed with `error`: retry will run the same kind again. */
  failJob(error: StepError & { step?: StepName }, at: number): void {
    const job = this.s.job
    if (!job) return
    if (this.endBackup('failed', at, error.message)) return
    if (job.kind === 'change') return undoChange(this, error.message, 'failed', at)
    this.s.failedKind = job.kind
    this.s.error = error
    this.apply({ type: 'job_failed' })
    this.endJob('failed', at)
  }

  /**
   * A backup ends where it started (ready or stopped), whatever its outcome: the server is as it
   * was, and a failure is told in the last job, not as a failed deployment. False for other jobs.
   */
  endBackup(status: JobEnd, at: number, error?: string): boolean {
    const job = this.s.job
    if (job?.kind !== 'backup') return false
    this.apply({ type: 'backup_finished', to: job.resumeStatus ?? 'ready' })
    this.endJob(status, at, error)
    return true
  }

  backup(jobId: string, at: number, params?: BackupParams): Reduction {
    const from = this.s.status
    if (!transition(from, { type: 'backup_requested' }).ok)
      return this.refuse(`backing up is only possible when ready or stopped, not while ${from}`)
    this.apply({ type: 'backup_requested' })
    this.s.job = {
      ...newJob(jobId, 'backup', at),
      resumeStatus: from,
      ...(params ? { backup: params } : {}),
    }
    this.s.steps = freshSteps('backup')
    this.save()
    return this.done()
  }

  restore(jobId: string, volid: string, at: number): Reduction {
    const from = this.s.status
    if (!transition(from, { type: 'restore_requested' }).ok)
      return this.refuse(
        `restoring is only possible when ready, stopped or failed, not while ${from}`,
      )
    this.apply({ type: 'restore_requested' })
    this.s.restore = { volid, skipSafety: false }
    this.startJob(jobId, 'restore', at)
    this.s.job = { ...this.s.job!, restore: this.s.restore }
    return this.done()
  }

  /** Put the current job back in the queue for any runner (its runner is gone). */
  requeue(why: string, at: number): void {
    const job = this.s.job
    if (!job) return
    if (job.cancelRequested && job.kind === 'change') {
      // Nobody is left to stop it: the rollback undoes what it did.
      undoChange(this, 'the change was cancelled', 'cancelled', at)
      return
    }
    if (job.cancelRequested) {
      // Nobody is left to stop it: the cancel completes here.
      this.apply({ type: 'job_cancelled' })
      this.endJob('cancelled', at)
      return
    }
    this.effects.push({ type: 'requeue_row', jobId: job.jobId })
    this.effects.push({ type: 'warn', message: `job ${job.jobId} requeued: ${why}` })
    job.runnerId = null
    job.lastActivityAt = at
    for (const step of this.s.steps) if (step.status === 'running') step.status = 'pending'
    this.save()
    this.effects.push({ type: 'dispatch' })
  }

  leased(input: Extract<DeploymentInput, { type: 'leased' }>): Reduction {
    const job = this.s.job
    if (!job || job.jobId !== input.jobId) return this.refuse('the job is no longer current')
    job.runnerId = input.runnerId
    job.attempt = input.attempt
    job.lastActivityAt = input.at
    this.s.lastRunnerId = input.runnerId
    scheduleStarted(this.s, job, input.at)
    // On the pickup path: the D1 row learns its runner with the first step, one write later.
    this.save(false)
    return this.done()
  }

  cancel(by: string, leased: boolean, at: number): Reduction {
    const job = this.s.job
    const refusal = `cancelling is not allowed while ${this.s.status}`
    if (!job || !transition(this.s.status, { type: 'cancel_requested', leased }).ok)
      return this.refuse(refusal)
    this.apply({ type: 'cancel_requested', leased })
    this.effects.push({
      type: 'log_line',
      jobId: job.jobId,
      text: `Cancelled by ${by} at ${new Date(at).toISOString()}.`,
    })
    if (leased) {
      job.cancelRequested = true
      this.effects.push({ type: 'stop_on_runner', jobId: job.jobId, runnerId: job.runnerId })
      this.save()
    } else {
      // Out of the queue already: nobody ran it.
      this.endJob('cancelled', at)
    }
    return this.done()
  }

  retry(jobId: string, at: number): Reduction {
    if (this.s.status !== 'failed')
      return this.refuse(`retrying is only possible after a failure, not while ${this.s.status}`)
    const kind = this.s.failedKind ?? 'deploy'
    if (!this.apply({ type: 'retry_requested', kind }))
      return this.refuse(`retrying is not allowed while ${this.s.status}`)
    this.startJob(jobId, kind, at, kind === 'deploy' ? doneDeploySteps(this.s.checkpoint) : [])
    // A restore tried again restores the same archive; its first attempt made the safety backup.
    if (kind === 'restore' && this.s.restore) {
      this.s.restore = { ...this.s.restore, skipSafety: true }
      this.s.job = { ...this.s.job!, restore: this.s.restore }
    }
    // A rollback tried again goes back to the same snapshot.
    if (kind === 'rollback' && this.s.change)
      this.s.job = { ...this.s.job!, change: this.s.change.params }
    return this.done()
  }

  power(action: PowerAction, jobId: string, at: number): Reduction {
    if (!transition(this.s.status, { type: 'power_requested', action }).ok)
      return this.refuse(powerRefusal(action, this.s.status))
    this.apply({ type: 'power_requested', action })
    this.startJob(jobId, action, at)
    return this.done()
  }

  destroy(jobId: string, auto: boolean, at: number, deleteBackups = false): Reduction {
    if (this.s.job?.kind === 'destroy') return this.refuse('the VM is already being destroyed')
    // The policy's destroy only follows a failure nobody has acted on since.
    if (auto && (this.s.job || this.s.status !== 'failed'))
      return this.refuse('the deployment moved on since it failed')
    if (!transition(this.s.status, { type: 'destroy_requested' }).ok)
      return this.refuse(`destroying is not allowed while ${this.s.status}`)
    this.apply({ type: 'destroy_requested' })
    // The failure that made the policy destroy the VM stays on record.
    const error = this.s.error
    this.startJob(jobId, 'destroy', at)
    if (deleteBackups) this.s.job = { ...this.s.job!, destroy: { deleteBackups } }
    if (auto) {
      this.s.job = { ...this.s.job!, auto: true }
      this.s.error = error
      // Saved before the job row exists, so a dispatcher never leases a job this object lacks.
      this.effects.push({
        type: 'insert_row',
        jobId,
        kind: 'destroy',
        audit: {
          action: 'deployment.auto_destroy',
          details: { policy: 'onFailure=destroy', error: error?.message ?? null },
        },
      })
    }
    return this.done()
  }

  private startJob(
    jobId: string,
    kind: JobKind,
    at: number,
    keepDone: readonly StepName[] = [],
  ): void {
    this.s.job = newJob(jobId, kind, at)
    this.s.steps = freshSteps(kind, keepDone)
    this.s.error = null
    this.save()
  }

  runnerLost(input: Extract<DeploymentInput, { type: 'runner_lost' }>): Reduction {
    const job = this.s.job
    if (!job || job.runnerId !== input.runnerId) return this.refuse('not its job')
    if (input.jobId !== undefined && job.jobId !== input.jobId) return this.refuse('not its job')
    this.requeue(input.why, input.at)
    return this.done()
  }

  tick(lastHeardAt: number, at: number): Reduction {
    const job = this.s.job
    if (job?.runnerId) {
      const last = Math.max(job.lastActivityAt, lastHeardAt)
      if (at - last >= LEASE_MS) {
        this.requeue(`no word from runner for ${Math.round((at - last) / 1000)} s`, at)
        return this.done()
      }
      job.lastActivityAt = last
    }
    const overdue = this.s.steps.find(
      (s) =>
        s.status === 'running' &&
        s.startedAt !== null &&
        at - s.startedAt >= STEP_TIMEOUT_MS[s.name],
    )
    if (overdue && job) {
      const minutes = Math.round(STEP_TIMEOUT_MS[overdue.name] / 60_000)
      overdue.status = 'failed'
      overdue.endedAt = at
      overdue.error = { message: `Step ${overdue.name} did not finish within ${minutes} minutes.` }
      this.effects.push({ type: 'stop_on_runner', jobId: job.jobId, runnerId: job.runnerId })
      this.failJob({ step: overdue.name, ...overdue.error }, at)
      return this.done()
    }
    this.save(false)
    return this.done()
  }

  live(input: Extract<DeploymentInput, { type: 'live' }>): Reduction {
    if (!WATCHED.includes(this.s.status)) return this.refuse('not watched')
    if (this.s.live && this.s.live.checkedAt > input.live.checkedAt) return this.refuse('older')
    this.s.live = input.live
    this.effects.push({ type: 'save_live', live: input.live })
    return this.done()
  }
}
