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
import {
  decryptSecret,
  encryptSecret,
  keyId,
  SECRET_CONTEXTS,
  sealedWith,
  type EncKeys,
} from '../crypto/seal'
import { readSetting, replaceSettingIf, writeSetting } from '../db/settings'
import { ApiError } from '../http/errors'
import { openChannelSecrets, sealChannelSecrets } from './secrets'

/**
 * All channels, in one settings row: a handful per install, read whole on every alert. Only the
 * admin's edits and the key rotation write it; the delivery logs live in the AlertsDO.
 */
export const ALERTS_SETTINGS_KEY = 'alerts'

/** An event name as stored: the scheduled-action event's earlier name still reads. */
const StoredEvent = z.preprocess(
  (v) => (v === 'schedule_failed' ? 'scheduled_failed' : v),
  z.enum(ALERT_EVENTS),
)

const StoredChannel = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(ALERT_CHANNEL_KINDS),
  events: z.array(StoredEvent),
  urlEnc: z.string(),
  signingSecretEnc: z.string().nullable(),
  urlHint: z.string(),
})
export type StoredChannel = z.infer<typeof StoredChannel>
const Stored = z.object({ channels: z.array(StoredChannel) })

export const MAX_CHANNELS = 20

function parseChannels(text: string | null): StoredChannel[] {
  if (text === null) return []
  const parsed = Stored.safeParse(JSON.parse(text))
  if (!parsed.success)
    throw new Error(`stored alert channels are unreadable: ${parsed.error.message}`)
  return parsed.data.channels
}

export async function readChannels(env: Env): Promise<StoredChannel[]> {
  return parseChannels(await readSetting(env.DB, ALERTS_SETTINGS_KEY))
}

async function writeChannels(env: Env, channels: StoredChannel[], by: string): Promise<void> {
  await writeSetting(env.DB, ALERTS_SETTINGS_KEY, JSON.stringify({ channels }), by)
}

export function channelView(
  ch: StoredChannel,
  log: AlertDeliveryLogEntry[] = [],
): AlertChannelView {
  return {
    id: ch.id,
    name: ch.name,
    kind: ch.kind,
    urlHint: ch.urlHint,
    events: ch.events,
    log,
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

/** How many sealed channel values there are, and how many the key `kid` sealed. */
export async function channelSecretCounts(
  env: Env,
  kid: string,
): Promise<{ current: number; total: number }> {
  const values = (await readChannels(env)).flatMap((c) =>
    c.signingSecretEnc ? [c.urlEnc, c.signingSecretEnc] : [c.urlEnc],
  )
  return { current: values.filter((v) => sealedWith(v) === kid).length, total: values.length }
}

/** Seal one value again with the current key, or leave it when that key already sealed it. */
async function reseal(
  keys: EncKeys,
  kid: string,
  sealed: string,
  context: string,
  channelId: string,
): Promise<string> {
  if (sealedWith(sealed) === kid) return sealed
  return encryptSecret(
    keys,
    await decryptSecret(keys, sealed, context, channelId),
    context,
    channelId,
  )
}

/**
 * The key rotation's part for alerts: every channel's address and signing secret not sealed by the
 * current key is sealed again with it. The row is replaced only if no admin edit landed meanwhile
 * (else read again and redone). Returns the values sealed again and the channels that no key opens.
 */
export async function resealChannels(
  env: Env,
): Promise<{ resealed: number; failed: { target: string; error: string }[] }> {
  const keys = requireEncKeys(env)
  const kid = await keyId(keys.current)
  for (let round = 0; round < 5; round++) {
    const text = await readSetting(env.DB, ALERTS_SETTINGS_KEY)
    const channels = parseChannels(text)
    let resealed = 0
    const failed: { target: string; error: string }[] = []
    const next: StoredChannel[] = []
    for (const ch of channels) {
      try {
        const urlEnc = await reseal(keys, kid, ch.urlEnc, SECRET_CONTEXTS.alertWebhookUrl, ch.id)
        const signingSecretEnc = ch.signingSecretEnc
          ? await reseal(keys, kid, ch.signingSecretEnc, SECRET_CONTEXTS.alertSigningSecret, ch.id)
          : null
        resealed += Number(urlEnc !== ch.urlEnc) + Number(signingSecretEnc !== ch.signingSecretEnc)
        next.push({ ...ch, urlEnc, signingSecretEnc })
      } catch (err) {
        failed.push({
          target: `alert channel ${ch.name}`,
          error: err instanceof Error ? err.message : String(err),
        })
        next.push(ch)
      }
    }
    if (text === null || resealed === 0) return { resealed: 0, failed }
    if (
      await replaceSettingIf(env.DB, ALERTS_SETTINGS_KEY, text, JSON.stringify({ channels: next }))
    )
      return { resealed, failed }
  }
  return {
    resealed: 0,
    failed: [{ target: 'alert channels', error: 'they kept changing: run it again' }],
  }
}
