import type { ScheduleRun } from '../schedules'
import type { DeploymentEffect, JobEnd } from './effects'
import type { DeploymentState, JobState } from './model'

/** The last run of the schedule that started `job`, if one did. */
function runOf(state: DeploymentState, job: JobState): ScheduleRun | null {
  if (!job.scheduleId) return null
  const schedule = state.schedules?.find((s) => s.id === job.scheduleId)
  const last = schedule?.last
  return last && last.jobId === job.jobId ? last : null
}

/** A runner took a scheduled job: its run is under way (late when no runner was online). */
export function scheduleStarted(state: DeploymentState, job: JobState, at: number): void {
  const run = runOf(state, job)
  if (!run) return
  run.outcome = 'running'
  run.startedAt ??= at
}

/**
 * A scheduled job ended: its run says how, and a failure reaches the admin's alert channels
 * (a schedule that fails silently is how a community loses a server).
 */
export function scheduleEnded(
  state: DeploymentState,
  job: JobState,
  end: JobEnd,
  error: string | undefined,
): DeploymentEffect[] {
  const run = runOf(state, job)
  if (!run) return []
  run.outcome = end === 'done' ? 'succeeded' : end
  if (error !== undefined) run.reason = error
  if (end !== 'failed') return []
  const action = state.schedules?.find((s) => s.id === job.scheduleId)?.action ?? job.kind
  return [
    {
      type: 'schedule_failed',
      scheduleId: job.scheduleId!,
      action,
      error: error ?? 'the job failed without saying why',
    },
  ]
}
