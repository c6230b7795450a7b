import { deploymentById } from '../db/deployments'
import { raiseAlert } from './raise'

/** What a scheduled action that failed reports to the alerts. */
export interface ScheduledFailure {
  deploymentId: string
  /** The deployment's name, as the admin knows it. */
  name: string
  /** The action that was scheduled: "restart", "stop", "start", "backup"… */
  action: string
  /** Why it failed, in plain words (never a secret). */
  error: string
}

/**
 * Raise `scheduled_failed` ("Scheduled action failed") for every channel switched on for it.
 * Called by the schedules when a scheduled run cannot start or its job ends failed. Never throws
 * (like every alert): the schedule's own bookkeeping goes on.
 */
export async function raiseJobAlert(env: Env, failure: ScheduledFailure): Promise<void> {
  const row = await deploymentById(env.DB, failure.deploymentId).catch(() => null)
  await raiseAlert(env, {
    type: 'scheduled_failed',
    at: Date.now(),
    deployment: {
      id: failure.deploymentId,
      name: failure.name.slice(0, 200),
      game: row?.game ?? 'unknown',
    },
    detail: `${failure.action.slice(0, 60)}: ${failure.error.slice(0, 500)}`,
  })
}
