import { env as testEnv, runDurableObjectAlarm } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { DEPLOY_STEPS } from '../../core/protocol'
import type { AlertChannelView } from '../../core/alerts'
import { app } from '../../worker/app'
import { call, ORIGIN } from './helpers'
import {
  createDeployment,
  nthAssign,
  playJob,
  statusBecomes,
  useSockets,
  withRunner,
} from './engine-helpers'

/**
 * A scheduled action that cannot run reaches the alerts as `scheduled_failed`, from the
 * deployment's own alarm through the real worker, to the channel that chose that event.
 */

const track = useSockets()

function demoCall(cookie: string, method: string, path: string, body?: unknown) {
  return app.request(
    `${ORIGIN}${path}`,
    {
      method,
      headers: { cookie, origin: ORIGIN, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    },
    { ...testEnv, TARGET_MODE: 'demo' },
  )
}

describe('scheduled action failed', () => {
  it('is raised when a scheduled restart is missed, for the channel that chose it', async () => {
    const { cookie, key, control } = await withRunner(track)
    // Nothing listens on loopback port 9: the attempt fails, and is logged with its event.
    await demoCall(cookie, 'POST', '/api/alerts/channels', {
      name: 'schedules',
      kind: 'webhook',
      url: 'http://127.0.0.1:9/hook',
      events: ['scheduled_failed'],
    })
    const dep = await createDeployment(cookie)
    const { job } = await nthAssign(control, 1)
    await playJob(track, key, job.jobId, DEPLOY_STEPS.slice(0, 1), {
      outcome: 'failed',
      error: { message: 'clone failed' },
    })
    await statusBecomes(cookie, dep.id, 'failed')
    await call('PUT', `/api/deployments/${dep.id}/schedules`, {
      cookie,
      body: {
        schedules: [
          {
            id: crypto.randomUUID(),
            action: 'restart',
            when: { every: 'hours', hours: 1 },
            timeZone: 'Europe/Paris',
            enabled: true,
          },
        ],
      },
    })
    const stub = testEnv.ALERTS.get(testEnv.ALERTS.idFromName('alerts'))
    let log: AlertChannelView['log'] = []
    // Bounded: the schedule's hour lasts seconds in tests; 200 × 50 ms.
    for (let i = 0; i < 200 && log.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50))
      await runDurableObjectAlarm(stub)
      const res = await demoCall(cookie, 'GET', '/api/alerts/channels')
      log = ((await res.json()) as { channels: AlertChannelView[] }).channels[0]?.log ?? []
    }
    // Newest first; its retry may already be there on a busy machine.
    expect(log.at(-1)).toMatchObject({ event: 'scheduled_failed', attempt: 1 })
    expect(new Set(log.map((e) => e.event))).toEqual(new Set(['scheduled_failed']))
  })
})
