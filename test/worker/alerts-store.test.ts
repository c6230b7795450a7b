import { env as testEnv, runDurableObjectAlarm } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { app } from '../../worker/app'
import { readChannels } from '../../worker/alerts/channels'
import { raiseJobAlert } from '../../worker/alerts/job'
import { openChannelSecrets } from '../../worker/alerts/secrets'
import { keyId } from '../../worker/crypto/seal'
import { call, env, json, ORIGIN, setupAdmin } from './helpers'

/**
 * Where alert channels are kept: the sealed addresses follow a key rotation like every other
 * secret, the delivery logs live in the AlertsDO (so an admin's edit and a logged attempt never
 * overwrite each other), and the waits before "down" and "offline" are checked settings.
 */

const OLD_KEY = env.APP_ENC_KEY
const NEW_KEY = 'the-next-app-enc-key-0123456789abcdefghijklmnop'
const HOOK = 'https://hooks.example.com/pgd/inbox?k=tail'
const SECRET = 'a-signing-secret-of-some-length'

function request(e: Env, method: string, path: string, cookie: string, body?: unknown) {
  return app.request(
    `${ORIGIN}${path}`,
    {
      method,
      headers: { cookie, origin: ORIGIN, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    },
    e,
  )
}

describe('alert channels and the key rotation', () => {
  it('re-seals the channels’ addresses and signing secrets, which then open with the new key alone', async () => {
    const cookie = await setupAdmin()
    const created = await call('POST', '/api/alerts/channels', {
      cookie,
      body: {
        name: 'ops',
        kind: 'webhook',
        url: HOOK,
        signingSecret: SECRET,
        events: ['server_down'],
      },
    })
    expect(created.status).toBe(201)
    const rotating = { ...env, APP_ENC_KEY: NEW_KEY, APP_ENC_KEY_PREVIOUS: OLD_KEY }
    const before = await json<{ encryption: { sealed: { current: number; older: number } } }>(
      await request(rotating, 'GET', '/api/settings/encryption', cookie),
    )
    // The address and the signing secret are counted with the other sealed values.
    expect(before.encryption.sealed).toEqual({ current: 0, older: 2 })

    const res = await request(rotating, 'POST', '/api/settings/encryption/reseal', cookie)
    expect(await json(res)).toMatchObject({
      resealed: 2,
      failed: [],
      encryption: { sealed: { current: 2, older: 0 } },
    })
    const [channel] = await readChannels(env)
    if (!channel) throw new Error('the channel is gone')
    const kid = await keyId(NEW_KEY)
    expect(channel.urlEnc.startsWith(`v2.${kid}.`)).toBe(true)
    expect(channel.signingSecretEnc?.startsWith(`v2.${kid}.`)).toBe(true)
    const newOnly = { current: NEW_KEY, previous: null }
    expect(await openChannelSecrets(newOnly, channel.id, channel)).toEqual({
      url: HOOK,
      signingSecret: SECRET,
    })
    // A second run finds nothing left to do.
    const again = await request(rotating, 'POST', '/api/settings/encryption/reseal', cookie)
    expect(await json(again)).toMatchObject({ resealed: 0, failed: [] })
  })
})

describe('the delivery log', () => {
  it('is kept by the AlertsDO: an edit of the channel keeps it, a removal drops it', async () => {
    const cookie = await setupAdmin()
    const demo = { ...env, TARGET_MODE: 'demo' }
    // Nothing listens on this loopback port: the test attempt fails, and is logged.
    const created = await request(demo, 'POST', '/api/alerts/channels', cookie, {
      name: 'ops',
      kind: 'webhook',
      url: 'http://127.0.0.1:9/hook',
      events: ['deployment_ready'],
    })
    const { channel } = await json<{ channel: { id: string } }>(created)
    const tested = await request(demo, 'POST', `/api/alerts/channels/${channel.id}/test`, cookie)
    expect(await json(tested)).toMatchObject({ ok: false, status: null })
    const renamed = await request(demo, 'PUT', `/api/alerts/channels/${channel.id}`, cookie, {
      name: 'ops renamed',
      events: ['deployment_ready', 'scheduled_failed'],
    })
    expect(renamed.status).toBe(200)
    const list = await json<{ channels: { name: string; events: string[]; log: unknown[] }[] }>(
      await request(demo, 'GET', '/api/alerts/channels', cookie),
    )
    expect(list.channels[0]).toMatchObject({
      name: 'ops renamed',
      events: ['deployment_ready', 'scheduled_failed'],
      log: [expect.objectContaining({ event: 'test', attempt: 1 })],
    })
    // The channels' row holds no log for the AlertsDO to race with.
    const row = await env.DB.prepare(`select value_json from settings where key = 'alerts'`).first<{
      value_json: string
    }>()
    expect(row?.value_json).not.toContain('"log"')
    await request(demo, 'DELETE', `/api/alerts/channels/${channel.id}`, cookie)
    const stub = testEnv.ALERTS.get(testEnv.ALERTS.idFromName('alerts'))
    expect((await stub.logs())[channel.id]).toBeUndefined()
  })

  it('reads a channel saved with the scheduled action’s earlier event name', async () => {
    const cookie = await setupAdmin()
    await call('POST', '/api/alerts/channels', {
      cookie,
      body: { name: 'ops', kind: 'webhook', url: HOOK, events: ['deployment_ready'] },
    })
    await env.DB.prepare(
      `update settings set value_json = replace(value_json, '"deployment_ready"', '"schedule_failed"') where key = 'alerts'`,
    ).run()
    expect((await readChannels(env))[0]?.events).toEqual(['scheduled_failed'])
  })
})

describe('scheduled action failed', () => {
  it('raiseJobAlert reaches the channels that chose scheduled_failed, and only those', async () => {
    const cookie = await setupAdmin()
    const demo = { ...env, TARGET_MODE: 'demo' }
    const add = (name: string, events: string[]) =>
      request(demo, 'POST', '/api/alerts/channels', cookie, {
        name,
        kind: 'webhook',
        url: 'http://127.0.0.1:9/hook',
        events,
      })
    await add('schedules', ['scheduled_failed'])
    await add('other', ['server_down'])
    await raiseJobAlert(env, {
      deploymentId: 'no-such-deployment',
      name: 'survival',
      action: 'restart',
      error: 'the VM did not stop',
    })
    const stub = testEnv.ALERTS.get(testEnv.ALERTS.idFromName('alerts'))
    const logOf = async (name: string) => {
      const list = await json<{ channels: { name: string; log: { event: string }[] }[] }>(
        await request(demo, 'GET', '/api/alerts/channels', cookie),
      )
      return list.channels.find((c) => c.name === name)?.log ?? []
    }
    for (let i = 0; i < 50 && (await logOf('schedules')).length === 0; i++) {
      await runDurableObjectAlarm(stub)
      await new Promise((r) => setTimeout(r, 20))
    }
    expect((await logOf('schedules'))[0]?.event).toBe('scheduled_failed')
    expect(await logOf('other')).toEqual([])
  })
})

describe('the alert waits', () => {
  it('default to 3 and 10 minutes, save, and refuse what is out of range by name', async () => {
    const cookie = await setupAdmin()
    expect(await json(await call('GET', '/api/alerts/timing', { cookie }))).toEqual({
      timing: { serverDownGraceMinutes: 3, runnerOfflineMinutes: 10 },
    })
    const saved = await call('PUT', '/api/alerts/timing', {
      cookie,
      body: { serverDownGraceMinutes: 5, runnerOfflineMinutes: 30 },
    })
    expect(saved.status).toBe(200)
    const bad = await call('PUT', '/api/alerts/timing', {
      cookie,
      body: { serverDownGraceMinutes: 0, runnerOfflineMinutes: 30 },
    })
    expect(bad.status).toBe(400)
    expect(await json(bad)).toMatchObject({
      error: { details: [expect.objectContaining({ path: 'serverDownGraceMinutes' })] },
    })
    expect(await json(await call('GET', '/api/alerts/timing', { cookie }))).toEqual({
      timing: { serverDownGraceMinutes: 5, runnerOfflineMinutes: 30 },
    })
    expect((await call('GET', '/api/alerts/timing')).status).toBe(401)
  })
})
