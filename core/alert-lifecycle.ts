import { healthSignal, type HealthSignal } from './alert-watch'
import type { AlertEvent } from './alerts'
import type { DeploymentState } from './deployment'
import { IN_PROGRESS } from './deployment/status'

/**
 * The alerts a deployment's step raises, from its state before and after: ready when a deploy
 * (not a start or a restore) finishes, failed whenever it turns failed, backup failed when a
 * backup job ends failed (the deployment itself goes back to ready or stopped). Template builds
 * run on the same object but are not a server anyone plays on: they raise nothing.
 */
export function lifecycleAlerts(
  before: DeploymentState,
  after: DeploymentState,
  at: number,
): AlertEvent[] {
  if (after.spec.template) return []
  const deployment = { id: after.id, name: after.spec.name, game: after.spec.game }
  const out: AlertEvent[] = []
  if (before.status !== after.status) {
    if (after.status === 'ready' && IN_PROGRESS.includes(before.status))
      out.push({ type: 'deployment_ready', at, deployment })
    if (after.status === 'failed')
      out.push({
        type: 'deployment_failed',
        at,
        deployment,
        ...(after.error ? { detail: after.error.message.slice(0, 500) } : {}),
      })
  }
  const ended = before.job && before.job.jobId !== after.job?.jobId ? before.job : null
  if (ended?.kind === 'backup' && after.lastJob?.kind === 'backup') {
    if (after.lastJob.outcome === 'failed')
      out.push({
        type: 'backup_failed',
        at,
        deployment,
        ...(after.lastJob.error ? { detail: after.lastJob.error.slice(0, 500) } : {}),
      })
  }
  return out
}

/**
 * The health signal to tell the alerts about after a step, or null when there is nothing new:
 * every change of signal, and every fresh "down" (so a lost report is made good by the next
 * one; a steady "up" costs nothing).
 */
export function healthReport(before: DeploymentState, after: DeploymentState): HealthSignal | null {
  const next = healthSignal(after)
  if (next === 'unknown') return null
  if (next === 'down' && after.live?.checkedAt !== before.live?.checkedAt) return next
  return next === healthSignal(before) ? null : next
}

/** What a scheduled action that failed reports to the alerts (worker/alerts/job.ts). */
export interface ScheduledFailure {
  deploymentId: string
  /** The deployment's name, as the admin knows it. */
  name: string
  /** The action that was scheduled: "restart", "stop", "start", "backup"… */
  action: string
  /** Why it failed, in plain words (never a secret). */
  error: string
}

/** The `scheduled_failed` event for a failure; `game` from the deployment's row when known. */
export function scheduledFailedAlert(
  failure: ScheduledFailure,
  game: string | null,
  at: number,
): AlertEvent {
  return {
    type: 'scheduled_failed',
    at,
    deployment: {
      id: failure.deploymentId,
      name: failure.name.slice(0, 200),
      game: game ?? 'unknown',
    },
    detail: `${failure.action.slice(0, 60)}: ${failure.error.slice(0, 500)}`,
  }
}
