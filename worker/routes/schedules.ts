import { Hono } from 'hono'
import * as z from 'zod'
import { ScheduleList, type ScheduleState } from '../../core/schedules'
import type { AppEnv } from '../env'
import { deploymentStub } from '../do/stubs'
import { audit } from '../http/audit'
import { notFound } from '../http/errors'
import { validate } from '../http/validate'
import { loadRow, refused } from './deployments'

const SchedulesBody = z.object({ schedules: ScheduleList })

/** What the schedules card shows: each schedule with its next run and how its last one went. */
function view(schedules: ScheduleState[]) {
  return { schedules, now: Date.now() }
}

/**
 * A deployment's scheduled actions: backups with their retention, restarts, stop and start
 * windows. The deployment's object keeps them and runs each from its alarm, as a normal job.
 */
export const schedulesRoutes = new Hono<AppEnv>()
  .get('/:id/schedules', async (c) => {
    const row = await loadRow(c, c.req.param('id'))
    const schedules = await deploymentStub(c.env, row.id).schedules()
    if (schedules === null) throw notFound('Deployment')
    return c.json(view(schedules))
  })
  /** The whole list, replacing the previous one (the card saves what the admin sees). */
  .put('/:id/schedules', validate('json', SchedulesBody), async (c) => {
    const row = await loadRow(c, c.req.param('id'))
    const { schedules } = c.req.valid('json')
    const stub = deploymentStub(c.env, row.id)
    refused(await stub.setSchedules(schedules))
    await audit(c, 'deployment.schedules_changed', {
      target: row.id,
      details: {
        schedules: schedules.map((s) => ({
          action: s.action,
          when: s.when,
          tz: s.timeZone,
          enabled: s.enabled,
          keep: s.keep ?? null,
        })),
      },
    })
    return c.json(view((await stub.schedules()) ?? []))
  })
