import { z } from 'zod'
import {
  ALERT_CHANNEL_KINDS,
  ALERT_EVENTS,
  type AlertChannelInput,
  type AlertChannelUpdate,
  type AlertChannelView,
  type AlertDeliveryLogEntry,
} from '../../core/alerts'
import { requireEncKeys } from '../crypto/enc-key'
import { readSetting, writeSetting } from '../db/settings'
import { ApiError } from '../http/errors'
import { openChannelSecrets, sealChannelSecrets } from './secrets'

/** All channels, in one settings row: a handful per install, read whole on every alert. */
export const ALERTS_SETTINGS_KEY = 'alerts'
/** The newest attempts kept per channel. */
export const LOG_LIMIT = 50

const LogEntry = z.object({
  at: z.number(),
  event: z.union([z.enum(ALERT_EVENTS), z.literal('test')]),
  attempt: z.number(),
  status: z.number().nullable(),
  error: z.string().nullable(),
})

const StoredChannel = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(ALERT_CHANNEL_KINDS),
  events: z.array(z.enum(ALERT_EVENTS)),
  urlEnc: z.string(),
  signingSecretEnc: z.string().nullable(),
  urlHint: z.string(),
  log: z.array(LogEntry),
})
export type StoredChannel = z.infer<typeof StoredChannel>
const Stored = z.object({ channels: z.array(StoredChannel) })

export const MAX_CHANNELS = 20

export async function readChannels(env: Env): Promise<StoredChannel[]> {
  const text = await readSetting(env.DB, ALERTS_SETTINGS_KEY)
  if (text === null) return []
  const parsed = Stored.safeParse(JSON.parse(text))
  if (!parsed.success)
    throw new Error(`stored alert channels are unreadable: ${parsed.error.message}`)
  return parsed.data.channels
}

async function writeChannels(env: Env, channels: StoredChannel[], by: string): Promise<void> {
  await writeSetting(env.DB, ALERTS_SETTINGS_KEY, JSON.stringify({ channels }), by)
}

export function channelView(ch: StoredChannel): AlertChannelView {
  return {
    id: ch.id,
    name: ch.name,
    kind: ch.kind,
    urlHint: ch.urlHint,
    events: ch.events,
    log: ch.log,
  }
}

function notFound(id: string): ApiError {
  return new ApiError(
    404,
    'alert_channel_not_found',
    `No alert channel ${id}: it may have been removed.`,
  )
}

function refuseSecretForDiscord(): ApiError {
  const message = 'a Discord channel has no signing secret (Discord checks its own token)'
  return new ApiError(400, 'invalid_body', `Invalid body: signingSecret: ${message}`, {
    details: [{ path: 'signingSecret', message }],
  })
}

export async function createChannel(
  env: Env,
  input: AlertChannelInput,
  by: string,
): Promise<{ channel: StoredChannel; generatedSecret: string | null }> {
  if (input.kind === 'discord' && input.signingSecret) throw refuseSecretForDiscord()
  const channels = await readChannels(env)
  if (channels.length >= MAX_CHANNELS)
    throw new ApiError(
      409,
      'too_many_channels',
      `At most ${MAX_CHANNELS} alert channels: remove one first.`,
    )
  const id = crypto.randomUUID()
  const { sealed, generatedSecret } = await sealChannelSecrets(
    env,
    requireEncKeys(env),
    id,
    input.kind,
    input.url,
    input.signingSecret ?? null,
  )
  const channel: StoredChannel = {
    id,
    name: input.name,
    kind: input.kind,
    events: [...new Set(input.events)],
    ...sealed,
    log: [],
  }
  await writeChannels(env, [...channels, channel], by)
  return { channel, generatedSecret }
}

export async function updateChannel(
  env: Env,
  id: string,
  input: AlertChannelUpdate,
  by: string,
): Promise<StoredChannel> {
  const channels = await readChannels(env)
  const current = channels.find((c) => c.id === id)
  if (!current) throw notFound(id)
  if (current.kind === 'discord' && input.signingSecret) throw refuseSecretForDiscord()
  let next: StoredChannel = {
    ...current,
    name: input.name ?? current.name,
    events: input.events ? [...new Set(input.events)] : current.events,
  }
  if (input.url !== undefined || input.signingSecret !== undefined) {
    const keys = requireEncKeys(env)
    const open = await openChannelSecrets(keys, id, current)
    const { sealed } = await sealChannelSecrets(
      env,
      keys,
      id,
      current.kind,
      input.url ?? open.url,
      input.signingSecret ?? open.signingSecret,
    )
    next = { ...next, ...sealed }
  }
  await writeChannels(
    env,
    channels.map((c) => (c.id === id ? next : c)),
    by,
  )
  return next
}

export async function removeChannel(env: Env, id: string, by: string): Promise<StoredChannel> {
  const channels = await readChannels(env)
  const current = channels.find((c) => c.id === id)
  if (!current) throw notFound(id)
  await writeChannels(
    env,
    channels.filter((c) => c.id !== id),
    by,
  )
  return current
}

export async function findChannel(env: Env, id: string): Promise<StoredChannel> {
  const channel = (await readChannels(env)).find((c) => c.id === id)
  if (!channel) throw notFound(id)
  return channel
}

/** Add an attempt to a channel's log, newest first, keeping the last LOG_LIMIT. */
export async function appendLog(env: Env, id: string, entry: AlertDeliveryLogEntry): Promise<void> {
  const channels = await readChannels(env)
  if (!channels.some((c) => c.id === id)) return
  await writeChannels(
    env,
    channels.map((c) => (c.id === id ? { ...c, log: [entry, ...c.log].slice(0, LOG_LIMIT) } : c)),
    'alerts',
  )
}
