import { Hono } from 'hono'
import { AlertChannelInput, AlertChannelUpdate, AlertTiming } from '../../core/alerts'
import type { AppEnv } from '../env'
import { audit } from '../http/audit'
import { validate } from '../http/validate'
import {
  channelView,
  createChannel,
  findChannel,
  readChannels,
  removeChannel,
  updateChannel,
} from '../alerts/channels'
import { readAlertTiming, writeAlertTiming } from '../alerts/timing'

function alertsStub(env: Env) {
  return env.ALERTS.get(env.ALERTS.idFromName('alerts'))
}

/** Alert channels and timings under Settings; behind the session check every /api route has. */
export const alertsRoutes = new Hono<AppEnv>()
  .get('/channels', async (c) => {
    const [channels, logs] = await Promise.all([readChannels(c.env), alertsStub(c.env).logs()])
    return c.json({ channels: channels.map((ch) => channelView(ch, logs[ch.id])) })
  })
  .post('/channels', validate('json', AlertChannelInput), async (c) => {
    const input = c.req.valid('json')
    const { channel, generatedSecret } = await createChannel(c.env, input, c.get('user').username)
    await audit(c, 'alerts.channel_created', {
      target: channel.id,
      details: { name: channel.name, kind: channel.kind, host: channel.urlHint },
    })
    // The generated signing secret is shown this once, so the receiver can be configured.
    return c.json({ channel: channelView(channel), signingSecret: generatedSecret }, 201)
  })
  .put('/channels/:id', validate('json', AlertChannelUpdate), async (c) => {
    const input = c.req.valid('json')
    const channel = await updateChannel(c.env, c.req.param('id'), input, c.get('user').username)
    await audit(c, 'alerts.channel_updated', {
      target: channel.id,
      details: { changed: Object.keys(input) },
    })
    const logs = await alertsStub(c.env).logs()
    return c.json({ channel: channelView(channel, logs[channel.id]) })
  })
  .delete('/channels/:id', async (c) => {
    const channel = await removeChannel(c.env, c.req.param('id'), c.get('user').username)
    await alertsStub(c.env).forgetChannel(channel.id)
    await audit(c, 'alerts.channel_removed', {
      target: channel.id,
      details: { name: channel.name },
    })
    return c.json({ ok: true })
  })
  /** "Send test": one attempt now, its outcome in plain words, logged like any delivery. */
  .post('/channels/:id/test', async (c) => {
    // Checked here first, so an unknown id is a clear 404 rather than an error across the RPC.
    const channel = await findChannel(c.env, c.req.param('id'))
    const result = await alertsStub(c.env).sendTest(channel.id)
    await audit(c, 'alerts.channel_tested', { target: channel.id, details: { ok: result.ok } })
    return c.json(result)
  })
  /** How long a server may not answer, and a runner stay away, before an alert. */
  .get('/timing', async (c) => c.json({ timing: await readAlertTiming(c.env) }))
  .put('/timing', validate('json', AlertTiming), async (c) => {
    const timing = c.req.valid('json')
    await writeAlertTiming(c.env, timing, c.get('user').username)
    await audit(c, 'alerts.timing_updated', { details: timing })
    return c.json({ timing })
  })
