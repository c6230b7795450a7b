/**
 * Alert events and channels, shared by the worker (which raises and delivers them) and the
 * dashboard (which lets an admin choose them per channel).
 */

/**
 * Every event an alert channel can be switched on for. `schedule_failed` and `backup_failed`
 * are defined now so a channel's choice survives; they are raised once those features report
 * failures through the alerts module.
 */
export const ALERT_EVENTS = [
  'deployment_ready',
  'deployment_failed',
  'server_down',
  'server_up',
  'runner_offline',
  'schedule_failed',
  'backup_failed',
] as const
export type AlertEventType = (typeof ALERT_EVENTS)[number]

export const ALERT_CHANNEL_KINDS = ['discord', 'webhook'] as const
export type AlertChannelKind = (typeof ALERT_CHANNEL_KINDS)[number]

/** One thing that happened, as delivered to a channel. */
export interface AlertEvent {
  type: AlertEventType
  /** Epoch milliseconds when it happened. */
  at: number
  /** The deployment concerned, when there is one. */
  deployment?: { id: string; name: string; game: string }
  /** The runner concerned (runner_offline). */
  runner?: { id: string; name: string }
  /** A plain-words detail: the failure's reason, how long the server has been down. */
  detail?: string
}

/** A short plain-words title per event, used by the Discord message and the generic body. */
export const ALERT_TITLES: Record<AlertEventType, string> = {
  deployment_ready: 'Deployment ready',
  deployment_failed: 'Deployment failed',
  server_down: 'Server down',
  server_up: 'Server back up',
  runner_offline: 'Runner offline',
  schedule_failed: 'Scheduled action failed',
  backup_failed: 'Backup failed',
}
