import { describe, expect, it } from 'vitest'
import { app } from '../../worker/app'
import { call, env, json, ORIGIN, setupAdmin } from './helpers'
import { validateWebhookUrl, maskWebhookUrl } from '../../worker/alerts/url'
import { openChannelSecrets, sealChannelSecrets } from '../../worker/alerts/secrets'
import {
  signBody,
  signedHeaders,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
} from '../../worker/alerts/sign'
import { buildDelivery, retryDelayMs } from '../../worker/alerts/deliver'
import { discordBody } from '../../worker/alerts/format'
import type { AlertEvent } from '../../core/alerts'

const DISCORD = 'https://discord.com/api/webhooks/123456789012345678/AbC-dEf_ghIJKlmn0pqrs'
const HOOK = 'https://hooks.example.com/pgd/inbox?k=tail'
const keys = { current: env.APP_ENC_KEY, previous: null }
const demo = { ...env, TARGET_MODE: 'demo' }
const prod = { ...env, TARGET_MODE: 'production' }

function refusal(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    return (err as Error).message
  }
  return 'accepted'
}

const event: AlertEvent = {
  type: 'deployment_failed',
  at: Date.UTC(2026, 0, 2, 3, 4, 5),
  deployment: { id: 'd1', name: '**@everyone** [x](https://evil)', game: 'minecraft' },
  detail: 'clone failed: storage full',
}

describe('alert webhook addresses', () => {
  it('accepts Discord webhook addresses on discord.com and discordapp.com', () => {
    expect(validateWebhookUrl('discord', DISCORD, prod).host).toBe('discord.com')
    const legacy = DISCORD.replace('discord.com', 'discordapp.com')
    expect(validateWebhookUrl('discord', legacy, prod).host).toBe('discordapp.com')
  })

  it('refuses a Discord channel pointing anywhere else, naming what is wrong', () => {
    expect(refusal(() => validateWebhookUrl('discord', HOOK, prod))).toMatch(
      /url: a Discord webhook address looks like/,
    )
    expect(
      refusal(() =>
        validateWebhookUrl('discord', 'https://discord.com.evil.net/api/webhooks/1/a', prod),
      ),
    ).toMatch(/Discord webhook address/)
    expect(
      refusal(() => validateWebhookUrl('discord', 'https://discord.com/channels/1/2', prod)),
    ).toMatch(/Discord webhook address/)
  })

  it('refuses plain http, credentials in the address, and private or loopback targets', () => {
    expect(
      refusal(() => validateWebhookUrl('webhook', 'http://hooks.example.com/x', prod)),
    ).toMatch(/must start with https/)
    expect(
      refusal(() => validateWebhookUrl('webhook', 'https://u:p@hooks.example.com/', prod)),
    ).toMatch(/user name or password/)
    for (const host of [
      '127.0.0.1',
      '10.0.0.5',
      '192.168.1.2',
      '172.20.0.1',
      '169.254.169.254',
      '[::1]',
      'localhost',
    ])
      expect(refusal(() => validateWebhookUrl('webhook', `https://${host}/hook`, prod))).toMatch(
        /public host/,
      )
    expect(refusal(() => validateWebhookUrl('webhook', 'not a url', prod))).toMatch(
      /not a web address/,
    )
    expect(validateWebhookUrl('webhook', HOOK, prod).host).toBe('hooks.example.com')
  })

  it('allows http://127.0.0.1 only when the worker drives the simulator', () => {
    const local = 'http://127.0.0.1:8799/hook'
    expect(refusal(() => validateWebhookUrl('webhook', local, prod))).toMatch(
      /must start with https/,
    )
    expect(validateWebhookUrl('webhook', local, demo).port).toBe('8799')
    expect(refusal(() => validateWebhookUrl('webhook', 'http://10.0.0.1/hook', demo))).toMatch(
      /must start with https/,
    )
  })

  it('shows only the host and the last 4 characters of an address', () => {
    const shown = maskWebhookUrl(DISCORD)
    expect(shown).toBe('discord.com …pqrs')
    expect(shown).not.toContain('AbC-dEf')
    expect(shown).not.toContain('123456789012345678')
  })
})

describe('sealed channel secrets', () => {
  it('seals the address and signing secret, opens them for the same channel only', async () => {
    const { sealed, generatedSecret } = await sealChannelSecrets(
      prod,
      keys,
      'ch1',
      'webhook',
      HOOK,
      null,
    )
    expect(generatedSecret).toMatch(/^[0-9a-f]{64}$/)
    expect(JSON.stringify(sealed)).not.toContain('hooks.example.com/pgd')
    expect(JSON.stringify(sealed)).not.toContain(generatedSecret)
    expect(sealed.urlHint).toBe('hooks.example.com …tail')
    const opened = await openChannelSecrets(keys, 'ch1', sealed)
    expect(opened).toEqual({ url: HOOK, signingSecret: generatedSecret })
    await expect(openChannelSecrets(keys, 'ch2', sealed)).rejects.toThrow()
  })

  it('keeps a given signing secret and none for Discord; refuses a bad address before sealing', async () => {
    const given = await sealChannelSecrets(prod, keys, 'ch1', 'webhook', HOOK, 'my-own-secret')
    expect(given.generatedSecret).toBeNull()
    expect((await openChannelSecrets(keys, 'ch1', given.sealed)).signingSecret).toBe(
      'my-own-secret',
    )
    const discord = await sealChannelSecrets(prod, keys, 'ch3', 'discord', DISCORD, null)
    expect(discord.sealed.signingSecretEnc).toBeNull()
    await expect(
      sealChannelSecrets(prod, keys, 'ch4', 'webhook', 'http://x.test/', null),
    ).rejects.toThrow(/https/)
  })
})

describe('signed deliveries', () => {
  it('signs timestamp.body with HMAC-SHA256 as a receiver recomputes it', async () => {
    const body = '{"event":"deployment_ready"}'
    const now = 1_767_322_000_000
    const headers = await signedHeaders('s3cret', body, now)
    expect(headers[TIMESTAMP_HEADER]).toBe('1767322000')
    // What docs/alerts.md tells a receiver to compute, done independently here.
    const key = await crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode('s3cret'),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['verify'],
    )
    const sig = headers[SIGNATURE_HEADER] ?? ''
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/)
    const bytes = new Uint8Array(
      sig
        .slice(7)
        .match(/../g)
        ?.map((h) => parseInt(h, 16)) ?? [],
    )
    const valid = (data: string) =>
      crypto.subtle.verify('HMAC', key, bytes, new TextEncoder().encode(data))
    expect(await valid(`1767322000.${body}`)).toBe(true)
    // The timestamp is inside the MAC: the same signature with another time does not verify.
    expect(await valid(`1767322999.${body}`)).toBe(false)
    expect(await signBody('other', 1767322000, body)).not.toBe(sig)
  })

  it('sends the generic body signed and the Discord body with no mentions and escaped text', async () => {
    const hook = await buildDelivery(
      'webhook',
      { url: HOOK, signingSecret: 'k' },
      event,
      'del1',
      1e12,
    )
    const body = String(hook.init.body)
    expect(JSON.parse(body)).toMatchObject({ event: 'deployment_failed', id: 'del1', version: 1 })
    const headers = hook.init.headers as Record<string, string>
    expect(headers[SIGNATURE_HEADER]).toBe(await signBody('k', 1e9, body))
    const discord = JSON.parse(discordBody(event)) as {
      allowed_mentions: { parse: string[] }
      embeds: { title: string; description: string }[]
    }
    expect(discord.allowed_mentions.parse).toEqual([])
    expect(discord.embeds[0]?.title).toBe('Deployment failed')
    expect(discord.embeds[0]?.description).toContain('\\*\\*\\@everyone\\*\\*')
    expect(discord.embeds[0]?.description).toContain('storage full')
  })

  it('backs off exponentially up to a cap', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 1000))).toEqual([1000, 2000, 4000, 8000])
    expect(retryDelayMs(30)).toBe(3_600_000)
  })
})

describe('alert channel routes', () => {
  it('adds a channel, shows it without its address or secret, edits and removes it', async () => {
    const cookie = await setupAdmin()
    const res = await call('POST', '/api/alerts/channels', {
      cookie,
      body: { name: 'ops', kind: 'discord', url: DISCORD, events: ['deployment_failed'] },
    })
    expect(res.status).toBe(201)
    const { channel } = (await json(res)) as { channel: { id: string } }
    const listed = await call('GET', '/api/alerts/channels', { cookie })
    const text = await listed.text()
    expect(text).toContain('discord.com …pqrs')
    expect(text).not.toContain('AbC-dEf')
    const stored = await env.DB.prepare(
      "select value_json from settings where key = 'alerts'",
    ).first<{
      value_json: string
    }>()
    expect(stored?.value_json).not.toContain('AbC-dEf')
    const edited = await call('PUT', `/api/alerts/channels/${channel.id}`, {
      cookie,
      body: { events: ['server_down', 'server_up'] },
    })
    expect(await json(edited)).toMatchObject({
      channel: { events: ['server_down', 'server_up'], urlHint: 'discord.com …pqrs' },
    })
    expect((await call('DELETE', `/api/alerts/channels/${channel.id}`, { cookie })).status).toBe(
      200,
    )
    expect(await json(await call('GET', '/api/alerts/channels', { cookie }))).toEqual({
      channels: [],
    })
    expect((await call('DELETE', `/api/alerts/channels/${channel.id}`, { cookie })).status).toBe(
      404,
    )
  })

  it('answers 400 naming the field for a bad address or an unknown event', async () => {
    const cookie = await setupAdmin()
    const bad = await call('POST', '/api/alerts/channels', {
      cookie,
      body: { name: 'x', kind: 'webhook', url: 'https://192.168.1.5/hook', events: [] },
    })
    expect(bad.status).toBe(400)
    expect(await json(bad)).toMatchObject({ error: { details: [{ path: 'url' }] } })
    const event = await call('POST', '/api/alerts/channels', {
      cookie,
      body: { name: 'x', kind: 'webhook', url: HOOK, events: ['server_exploded'] },
    })
    expect(event.status).toBe(400)
  })

  it('shows a generated signing secret once, and Send test reports an unreachable receiver', async () => {
    const cookie = await setupAdmin()
    const demoEnv = { ...env, TARGET_MODE: 'demo' }
    const send = (method: string, path: string, body?: unknown) =>
      app.request(
        `${ORIGIN}${path}`,
        {
          method,
          headers: { cookie, origin: ORIGIN, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        },
        demoEnv,
      )
    // Port 9 on loopback: nothing listens there in the test box.
    const created = await send('POST', '/api/alerts/channels', {
      name: 'local',
      kind: 'webhook',
      url: 'http://127.0.0.1:9/hook',
      events: ['deployment_ready'],
    })
    expect(created.status).toBe(201)
    const { channel, signingSecret } = (await created.json()) as {
      channel: { id: string }
      signingSecret: string
    }
    expect(signingSecret).toMatch(/^[0-9a-f]{64}$/)
    const listed = await (await send('GET', '/api/alerts/channels')).text()
    expect(listed).not.toContain(signingSecret)
    const test = await send('POST', `/api/alerts/channels/${channel.id}/test`)
    expect(await test.json()).toMatchObject({ ok: false, status: null })
    const after = (await (await send('GET', '/api/alerts/channels')).json()) as {
      channels: { log: { event: string; error: string }[] }[]
    }
    expect(after.channels[0]?.log[0]).toMatchObject({ event: 'test' })
    expect(after.channels[0]?.log[0]?.error).toMatch(/could not be reached|did not answer/)
  })
})
