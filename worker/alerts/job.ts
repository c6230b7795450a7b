import { scheduledFailedAlert, type ScheduledFailure } from '../../core/alert-lifecycle'
import { deploymentById } from '../db/deployments'
import { raiseAlert } from './raise'

export type { ScheduledFailure } from '../../core/alert-lifecycle'

/**
 * Raise `scheduled_failed` ("Scheduled action failed") for every channel switched on for it.
 * Called by the schedules when a scheduled run cannot start or its job ends failed. Never throws
 * (like every alert): the schedule's own bookkeeping goes on.
 */
export async function raiseJobAlert(env: Env, failure: ScheduledFailure): Promise<void> {
  const row = await deploymentById(env.DB, failure.deploymentId).catch(() => null)
  await raiseAlert(env, scheduledFailedAlert(failure, row?.game ?? null, Date.now()))
}
