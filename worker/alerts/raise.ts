import type { AlertEvent } from '../../core/alerts'

/**
 * Raise an alert from anywhere in the worker (a deployment's lifecycle, the runner hub). Never
 * throws: an alert that cannot be queued is logged without its content, and the caller's own work
 * (a deployment turning ready) goes on.
 */
export async function raiseAlert(env: Env, event: AlertEvent): Promise<void> {
  try {
    await env.ALERTS.get(env.ALERTS.idFromName('alerts')).raise(event)
  } catch (err) {
    console.error(
      `alert ${event.type} could not be queued: ${err instanceof Error ? err.name : 'error'}`,
    )
  }
}
