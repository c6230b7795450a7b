import { env, runDurableObjectAlarm } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { app } from '../../worker/app'
import { raiseAlert } from '../../worker/alerts/raise'
import type { AlertChannelView } from '../../core/alerts'
import { ORIGIN, setupAdmin } from './helpers'

function alertsStub() {
  return env.ALERTS.get(env.ALERTS.idFromName('alerts'))
}

async function demoCall(cookie: string, method: string, path: string, body?: unknown) {
  return app.request(
    `${ORIGIN}${path}`,
    {
      method,
      headers: { cookie, origin: ORIGIN, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    },
    { ...env, TARGET_MODE: 'demo' },
  )
}

async function channels(cookie: string): Promise<AlertChannelView[]> {
  const res = await demoCall(cookie, 'GET', '/api/alerts/channels')
  return ((await res.json()) as { channels: AlertChannelView[] }).channels
}

describe('alert delivery queue', () => {
  it('queues an event for the channels that want it and retries a failure up to the limit', async () => {
    const cookie = await setupAdmin()
    // Nothing listens on loopback port 9: every attempt fails, so every retry is used.
    const add = (name: string, events: string[]) =>
      demoCall(cookie, 'POST', '/api/alerts/channels', {
        name,
        kind: 'webhook',
        url: 'http://127.0.0.1:9/hook',
        events,
      })
    expect((await add('wants-it', ['deployment_failed'])).status).toBe(201)
    expect((await add('does-not', ['server_down'])).status).toBe(201)
    await raiseAlert(env, {
      type: 'deployment_failed',
      at: Date.now(),
      deployment: { id: 'd1', name: 'survival', game: 'minecraft' },
      detail: 'clone failed',
    })
    let log: AlertChannelView['log'] = []
    // Two attempts (ALERT_MAX_ATTEMPTS in vitest.config.ts), 20 ms apart; bounded wait.
    for (let i = 0; i < 100 && log.length < 2; i++) {
      await runDurableObjectAlarm(alertsStub())
      log = (await channels(cookie)).find((c) => c.name === 'wants-it')?.log ?? []
      if (log.length < 2) await new Promise((r) => setTimeout(r, 20))
    }
    expect(log.map((e) => [e.event, e.attempt])).toEqual([
      ['deployment_failed', 2],
      ['deployment_failed', 1],
    ])
    expect(log[0]?.error).toMatch(/could not be reached|did not answer/)
    // The limit is reached: nothing is left to retry, and the other channel got nothing.
    expect(await alertsStub().pending()).toEqual([])
    expect((await channels(cookie)).find((c) => c.name === 'does-not')?.log).toEqual([])
  })
})
