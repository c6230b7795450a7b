import { z } from 'zod'

/**
 * Alert events and channels, shared by the worker (which raises and delivers them) and the
 * dashboard (which lets an admin choose them per channel).
 */

/** Every event an alert channel can be switched on for. */
export const ALERT_EVENTS = [
  'deployment_ready',
  'deployment_failed',
  'server_down',
  'server_up',
  'runner_offline',
  'runner_online',
  'scheduled_failed',
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
  /** The runner concerned (runner_offline, runner_online). */
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
  runner_online: 'Runner back online',
  scheduled_failed: 'Scheduled action failed',
  backup_failed: 'Backup failed',
}

/** A channel as an admin creates it; `url` and `signingSecret` are sealed on save. */
export const AlertChannelInput = z.object({
  name: z.string().trim().min(1).max(60),
  kind: z.enum(ALERT_CHANNEL_KINDS),
  url: z.string().trim().min(1).max(2000),
  /** Generic webhook only; a random one is generated (and shown once) when left out. */
  signingSecret: z.string().min(16).max(200).optional(),
  events: z.array(z.enum(ALERT_EVENTS)).max(ALERT_EVENTS.length),
})
export type AlertChannelInput = z.infer<typeof AlertChannelInput>

/** An edit: every field optional; a left-out URL or secret keeps the sealed one. */
export const AlertChannelUpdate = AlertChannelInput.omit({ kind: true }).partial()
export type AlertChannelUpdate = z.infer<typeof AlertChannelUpdate>

/** One delivery attempt, as the channel's log shows it. */
export interface AlertDeliveryLogEntry {
  at: number
  event: AlertEventType | 'test'
  attempt: number
  status: number | null
  error: string | null
}

/** A channel as the API shows it: never the URL or the secret, only the URL's host and tail. */
export interface AlertChannelView {
  id: string
  name: string
  kind: AlertChannelKind
  urlHint: string
  events: AlertEventType[]
  log: AlertDeliveryLogEntry[]
}

/**
 * How long the alerts wait before calling something down, in minutes (Settings → Alerts): a
 * ready server that stops answering, and a runner whose control socket went away.
 */
export const AlertTiming = z.object({
  serverDownGraceMinutes: z.number().int().min(1).max(120),
  runnerOfflineMinutes: z.number().int().min(1).max(1440),
})
export type AlertTiming = z.infer<typeof AlertTiming>
export const DEFAULT_ALERT_TIMING: AlertTiming = {
  serverDownGraceMinutes: 3,
  runnerOfflineMinutes: 10,
}
