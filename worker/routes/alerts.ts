import { Hono } from 'hono'
import { AlertChannelInput, AlertChannelUpdate } from '../../core/alerts'
import type { AppEnv } from '../env'
import { audit } from '../http/audit'
import { validate } from '../http/validate'
import { requireEncKeys } from '../crypto/enc-key'
import {
  appendLog,
  channelView,
  createChannel,
  findChannel,
  readChannels,
  removeChannel,
  updateChannel,
} from '../alerts/channels'
import { openChannelSecrets } from '../alerts/secrets'
import { deliverOnce } from '../alerts/deliver'

/** Alert channels under Settings; behind the session check every /api route has. */
export const alertsRoutes = new Hono<AppEnv>()
  .get('/channels', async (c) => c.json({ channels: (await readChannels(c.env)).map(channelView) }))
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
    return c.json({ channel: channelView(channel) })
  })
  .delete('/channels/:id', async (c) => {
    const channel = await removeChannel(c.env, c.req.param('id'), c.get('user').username)
    await audit(c, 'alerts.channel_removed', {
      target: channel.id,
      details: { name: channel.name },
    })
    return c.json({ ok: true })
  })
  /** "Send test": one attempt now, its outcome in plain words, logged like any delivery. */
  .post('/channels/:id/test', async (c) => {
    const channel = await findChannel(c.env, c.req.param('id'))
    const secrets = await openChannelSecrets(requireEncKeys(c.env), channel.id, channel)
    const at = Date.now()
    const result = await deliverOnce(
      channel.kind,
      secrets,
      { type: 'deployment_ready', at, detail: 'This is a test alert sent from Settings.' },
      `test-${crypto.randomUUID()}`,
    )
    await appendLog(c.env, channel.id, {
      at,
      event: 'test',
      attempt: 1,
      status: result.status,
      error: result.error,
    })
    await audit(c, 'alerts.channel_tested', { target: channel.id, details: { ok: result.ok } })
    return c.json(result)
  })
