import type { AlertEvent } from '../../core/alerts'
import type { DeploymentState } from '../../core/deployment'
import { IN_PROGRESS } from '../../core/deployment/status'
import { raiseAlert } from './raise'

/**
 * The alert a deployment's step raises, from its state before and after: ready when a deploy
 * (not a start or a restore) finishes, failed whenever it turns failed. Template builds run on the
 * same object but are not a server anyone plays on: they raise nothing.
 */
export function lifecycleAlert(
  before: DeploymentState,
  after: DeploymentState,
  at = Date.now(),
): AlertEvent | null {
  if (after.spec.template || before.status === after.status) return null
  const deployment = { id: after.id, name: after.spec.name, game: after.spec.game }
  if (after.status === 'ready' && IN_PROGRESS.includes(before.status))
    return { type: 'deployment_ready', at, deployment }
  if (after.status === 'failed')
    return {
      type: 'deployment_failed',
      at,
      deployment,
      ...(after.error ? { detail: after.error.message.slice(0, 500) } : {}),
    }
  return null
}

/**
 * The one call the DeploymentDO makes after each reduced input: queue the step's alert, if any,
 * without holding the step up (the AlertsDO call runs in the background of the request).
 */
export function raiseLifecycleAlert(
  env: Env,
  ctx: DurableObjectState,
  before: DeploymentState,
  after: DeploymentState,
): void {
  const event = lifecycleAlert(before, after)
  if (event) ctx.waitUntil(raiseAlert(env, event))
}
