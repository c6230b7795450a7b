import { changeParams, changeRefusal, rollbackJobId } from '../change-plan'
import type { DeploymentSpec, RunnerToDeployment, StepError } from '../protocol'
import type { DeploymentEffect, JobEnd, Reduction } from './effects'
import { freshSteps, newJob, type DeploymentState } from './model'
import type { DeploymentEvent } from './status'

/**
 * A change of a ready deployment (settings, size, version) and its undo. The change job runs
 * snapshot → change_vm → wait_ssh → provision → verify → prune_snapshots with the new spec in
 * force; when it fails, times out or is cancelled after its snapshot, the old spec comes back and
 * a rollback job (rollback → wait_ssh → verify) returns the VM to the snapshot and checks that
 * the old settings answer. Either way the deployment ends `ready`, never half-changed; only a
 * rollback that itself fails leaves it `failed`, and retry rolls back again.
 */

/** What this module needs of the reducer's draft (draft.ts), without importing it. */
export interface ChangeDraft {
  readonly s: DeploymentState
  readonly effects: DeploymentEffect[]
  apply(event: DeploymentEvent): boolean
  save(row?: boolean): void
  endJob(status: JobEnd, at: number, error?: string): void
  refuse(reason: string): Reduction
  done(): Reduction
}

type JobDone = Extract<RunnerToDeployment, { type: 'job.done' }>

/** The admin's change: `spec` is the whole new spec; `sealed` the new sealed secrets, if any. */
export function requestChange(
  d: ChangeDraft,
  jobId: string,
  spec: DeploymentSpec,
  sealed: string | null | undefined,
  at: number,
  secretKeys: readonly string[] = [],
  updateTo?: string,
): Reduction {
  const s = d.s
  if (s.status !== 'ready')
    return d.refuse(`changing is only possible when ready, not while ${s.status}`)
  const installed = s.checkpoint.gameVersion
  const refusal = changeRefusal(s.spec, spec, installed, secretKeys, updateTo)
  if (refusal) return d.refuse(refusal)
  d.apply({ type: 'change_requested' })
  const update = updateTo !== undefined ? { from: installed ?? '', to: updateTo } : undefined
  const params = changeParams(jobId, s.spec, spec, secretKeys, update)
  s.change = {
    ...(updateTo !== undefined ? { updateTo } : {}),
    params,
    previous: s.spec,
    ...(s.checkpoint.gameVersion !== undefined
      ? { previousVersion: s.checkpoint.gameVersion }
      : {}),
    ...(sealed !== undefined ? { sealed } : {}),
    ...(secretKeys.length > 0 ? { secretKeys: [...secretKeys] } : {}),
  }
  s.spec = spec
  s.failedChange = null
  s.job = { ...newJob(jobId, 'change', at), change: params }
  s.steps = freshSteps('change')
  s.error = null
  d.save()
  return d.done()
}

/** Try a rolled-back change again, as a new change job. */
export function retryChange(d: ChangeDraft, jobId: string, at: number): Reduction {
  const failed = d.s.failedChange
  if (!failed) return d.refuse('there is no rolled-back change to try again')
  return requestChange(d, jobId, failed.spec, failed.sealed, at, failed.secretKeys, failed.updateTo)
}

/** Cancel a change: a queued one ends at once; a running one is stopped, then rolled back. */
export function cancelChange(d: ChangeDraft, by: string, leased: boolean, at: number): Reduction {
  const job = d.s.job!
  if (job.kind === 'rollback')
    return d.refuse('a rollback cannot be cancelled: it puts the deployment back as it was')
  if (job.cancelRequested) return d.refuse('the change is already being cancelled')
  d.effects.push({
    type: 'log_line',
    jobId: job.jobId,
    text: `Cancelled by ${by} at ${new Date(at).toISOString()}: the change will be undone.`,
  })
  if (!leased) {
    undoChange(d, 'the change was cancelled before it started', 'cancelled', at)
    return d.done()
  }
  job.cancelRequested = true
  d.effects.push({ type: 'stop_on_runner', jobId: job.jobId, runnerId: job.runnerId })
  d.save()
  return d.done()
}

/**
 * The change failed or was cancelled: the old spec is back in force. Before its snapshot nothing
 * was changed and the deployment is ready at once; after it, a rollback job takes over.
 */
export function undoChange(d: ChangeDraft, why: string, outcome: JobEnd, at: number): void {
  const s = d.s
  const job = s.job
  const change = s.change
  if (!job || job.kind !== 'change' || !change) return
  const attempted = s.spec
  s.spec = change.previous
  if (change.previousVersion !== undefined) s.checkpoint.gameVersion = change.previousVersion
  const failedChange = {
    spec: attempted,
    params: change.params,
    sealed: change.sealed,
    secretKeys: change.secretKeys,
    updateTo: change.updateTo,
  }
  closeRunningSteps(d, outcome, why, at)
  if (!(job.doneSteps ?? []).includes('snapshot')) {
    s.change = null
    s.failedChange = outcome === 'failed' ? failedChange : null
    d.apply({ type: 'change_finished' })
    d.endJob(outcome, at, `${why}; nothing was changed`)
    return
  }
  d.apply({ type: 'rollback_started' })
  s.change = { ...change, failure: { outcome, message: why }, attempted }
  d.effects.push({ type: 'close_row', jobId: job.jobId, status: outcome })
  const rollbackId = rollbackJobId(job.jobId)
  s.job = { ...newJob(rollbackId, 'rollback', at), change: change.params }
  s.steps = freshSteps('rollback')
  // Saved before the job row exists, so a dispatcher never leases a job this object lacks.
  d.save()
  d.effects.push({
    type: 'insert_row',
    jobId: rollbackId,
    kind: 'rollback',
    audit: {
      action: 'deployment.change_rolled_back',
      details: { snapshot: change.params.snapshot, error: why },
    },
  })
  d.effects.push({ type: 'dispatch' })
}

function closeRunningSteps(d: ChangeDraft, outcome: JobEnd, why: string, at: number): void {
  for (const step of d.s.steps) {
    if (step.status !== 'running') continue
    step.status = outcome === 'cancelled' ? 'cancelled' : 'failed'
    step.endedAt = at
    step.error = { message: why }
  }
}

/** The end of a change or rollback job, as the runner reports it. */
export function changeJobDone(d: ChangeDraft, msg: JobDone, at: number): Reduction {
  const s = d.s
  const job = s.job!
  const why = (e: StepError | undefined, fallback: string) => e?.message ?? fallback
  if (job.kind === 'change') {
    if (msg.outcome === 'succeeded') {
      if (msg.result) s.result = msg.result
      // The new spec (and sealed secrets) reach D1 now: the list and the next jobs read them.
      d.effects.push({ type: 'save_inputs', spec: s.spec, sealed: s.change?.sealed })
      s.change = null
      s.failedChange = null
      s.error = null
      d.apply({ type: 'change_finished' })
      d.endJob('done', at)
    } else {
      const outcome = msg.outcome === 'cancelled' ? 'cancelled' : 'failed'
      const reason =
        outcome === 'cancelled' ? 'the change was cancelled' : why(msg.error, 'the change failed')
      undoChange(d, reason, outcome, at)
    }
  } else if (msg.outcome === 'succeeded') {
    const change = s.change
    if (msg.result) s.result = msg.result
    d.apply({ type: 'rollback_succeeded' })
    s.failedChange =
      change?.failure?.outcome === 'failed' && change.attempted
        ? {
            spec: change.attempted,
            params: change.params,
            sealed: change.sealed,
            secretKeys: change.secretKeys,
            updateTo: change.updateTo,
          }
        : null
    s.change = null
    s.error = null
    d.endJob('done', at)
    const failure = change?.failure
    s.lastJob = {
      kind: 'change',
      outcome: failure?.outcome === 'cancelled' ? 'cancelled' : 'failed',
      endedAt: at,
      error: `${failure?.message ?? 'the change failed'}; rolled back to snapshot ${change?.params.snapshot ?? ''}: the previous settings answer`,
      rolledBack: true,
    }
    d.save()
  } else {
    closeRunningSteps(d, 'failed', why(msg.error, 'the rollback failed'), at)
    s.failedKind = 'rollback'
    s.error = msg.error ?? { message: 'the rollback failed without saying why' }
    d.apply({ type: 'job_failed' })
    d.endJob('failed', at)
  }
  d.effects.push({ type: 'close_socket', code: 1000, reason: 'job finished' })
  return d.done()
}
