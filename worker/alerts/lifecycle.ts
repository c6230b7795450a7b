import { healthReport, lifecycleAlerts } from '../../core/alert-lifecycle'
import type { DeploymentState } from '../../core/deployment'
import { raiseAlert } from './raise'

/**
 * The one call the DeploymentDO makes after each reduced input: queue the step's alerts (ready,
 * failed, backup failed) and tell the alerts' server watch when the health signal moved, without
 * holding the step up (the AlertsDO calls run in the background of the request).
 */
export function raiseLifecycleAlert(
  env: Env,
  ctx: DurableObjectState,
  before: DeploymentState,
  after: DeploymentState,
): void {
  const at = Date.now()
  for (const event of lifecycleAlerts(before, after, at)) ctx.waitUntil(raiseAlert(env, event))
  const signal = healthReport(before, after)
  if (signal === null || after.spec.template) return
  const deployment = { id: after.id, name: after.spec.name, game: after.spec.game }
  ctx.waitUntil(
    env.ALERTS.get(env.ALERTS.idFromName('alerts'))
      .serverHealth(deployment, signal, at)
      .catch((err: unknown) => {
        console.error(
          `server health could not reach the alerts: ${err instanceof Error ? err.name : 'error'}`,
        )
      }),
  )
}
