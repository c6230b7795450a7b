import { env, runDurableObjectAlarm } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { DEPLOY_STEPS } from '../../core/protocol'
import type { AlertChannelView } from '../../core/alerts'
import { app } from '../../worker/app'
import { ORIGIN } from './helpers'
import {
  createDeployment,
  nthAssign,
  useSockets,
  withRunner,
  playJob,
  statusBecomes,
} from './engine-helpers'

/** A deployment's ready and failed turns raise their alerts, through the real worker. */

const track = useSockets()
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

function demoCall(cookie: string, method: string, path: string, body?: unknown) {
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

async function logOf(cookie: string): Promise<AlertChannelView['log']> {
  const res = await demoCall(cookie, 'GET', '/api/alerts/channels')
  return ((await res.json()) as { channels: AlertChannelView[] }).channels[0]?.log ?? []
}

describe('deployment lifecycle alerts', () => {
  it('raises deployment_ready when a deploy finishes and deployment_failed when one fails', async () => {
    const { cookie, key, control } = await withRunner(track)
    const created = await demoCall(cookie, 'POST', '/api/alerts/channels', {
      name: 'ops',
      kind: 'webhook',
      url: 'http://127.0.0.1:9/hook',
      events: ['deployment_ready', 'deployment_failed'],
    })
    expect(created.status).toBe(201)

    const good = await createDeployment(cookie, { name: 'good' })
    await playJob(track, key, (await nthAssign(control, 1)).job.jobId, DEPLOY_STEPS, {
      outcome: 'succeeded',
    })
    await statusBecomes(cookie, good.id, 'ready')
    const bad = await createDeployment(cookie, { name: 'bad' })
    await playJob(track, key, (await nthAssign(control, 2)).job.jobId, DEPLOY_STEPS.slice(0, 1), {
      outcome: 'failed',
      error: { message: 'clone failed: storage full' },
    })
    await statusBecomes(cookie, bad.id, 'failed')

    const stub = env.ALERTS.get(env.ALERTS.idFromName('alerts'))
    let firsts: string[] = []
    for (let i = 0; i < 100 && firsts.length < 2; i++) {
      await runDurableObjectAlarm(stub)
      firsts = (await logOf(cookie)).filter((e) => e.attempt === 1).map((e) => e.event)
      if (firsts.length < 2) await pause(20)
    }
    // Each raised once (one first attempt each), whatever order the alarm sent them in.
    expect(firsts.sort()).toEqual(['deployment_failed', 'deployment_ready'])
  })
})
