import { describe, expect, it } from 'vitest'
import { BACKUP_STEPS, DEPLOY_STEPS } from '../../core/protocol'
import type { ScheduleState } from '../../core/schedules'
import { call, json } from './helpers'
import {
  createDeployment,
  nthAssign,
  playJob,
  statusBecomes,
  useSockets,
  withRunner,
} from './engine-helpers'

/**
 * Scheduled actions through the real worker: the list validated and kept by the deployment's
 * object, a schedule fired by its alarm as a normal job (an hour lasts 3 s here), its last run
 * shown, a run the deployment could not take recorded as missed.
 */

const track = useSockets()

type Listed = { schedules: ScheduleState[]; now: number }

const hourlyBackup = (over: Record<string, unknown> = {}) => ({
  id: crypto.randomUUID(),
  action: 'backup',
  when: { every: 'hours', hours: 1 },
  timeZone: 'Europe/Paris',
  enabled: true,
  keep: { daily: 7, weekly: 4 },
  ...over,
})

async function runsOf(cookie: string, id: string): Promise<Listed> {
  return json<Listed>(await call('GET', `/api/deployments/${id}/schedules`, { cookie }))
}

/** Wait (bounded, 10 s) until the first schedule's last run has this outcome. */
async function lastOutcome(cookie: string, id: string, want: string) {
  for (let i = 0; i < 200; i++) {
    const last = (await runsOf(cookie, id)).schedules[0]?.last
    if (last?.outcome === want) return last
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`the last run never became ${want}: ${JSON.stringify(await runsOf(cookie, id))}`)
}

describe('schedules', () => {
  it('refuses a bad schedule naming the field, and an unknown deployment', async () => {
    const { cookie } = await withRunner(track)
    const dep = await createDeployment(cookie)
    const bad = await call('PUT', `/api/deployments/${dep.id}/schedules`, {
      cookie,
      body: { schedules: [hourlyBackup({ timeZone: 'Mars/Olympus' })] },
    })
    expect(bad.status).toBe(400)
    expect(JSON.stringify(await json(bad))).toContain('schedules.0.timeZone')
    const keepOnStop = await call('PUT', `/api/deployments/${dep.id}/schedules`, {
      cookie,
      body: { schedules: [hourlyBackup({ action: 'stop' })] },
    })
    expect(JSON.stringify(await json(keepOnStop))).toContain('only a backup schedule keeps backups')
    const unknown = await call('GET', `/api/deployments/${crypto.randomUUID()}/schedules`, {
      cookie,
    })
    expect(unknown.status).toBe(404)
    expect((await runsOf(cookie, dep.id)).schedules).toEqual([])
  })

  it('runs a scheduled backup from the alarm as a job with its retention, and shows the run', async () => {
    const { cookie, key, control } = await withRunner(track)
    const dep = await createDeployment(cookie)
    const { job } = await nthAssign(control, 1)
    await playJob(track, key, job.jobId, DEPLOY_STEPS)
    await statusBecomes(cookie, dep.id, 'ready')

    const saved = await call('PUT', `/api/deployments/${dep.id}/schedules`, {
      cookie,
      body: { schedules: [hourlyBackup()] },
    })
    expect(saved.status).toBe(200)
    const listed = await json<Listed>(saved)
    const next = listed.schedules[0]!.nextAt!
    // An hour of 3 s from now.
    expect(next - listed.now).toBeGreaterThan(2_000)
    expect(next - listed.now).toBeLessThanOrEqual(3_100)

    const { job: backup } = await nthAssign<{
      jobId: string
      kind: string
      backup?: unknown
    }>(control, 2, 8_000)
    expect(backup.kind).toBe('backup')
    expect(backup.backup).toEqual({
      kind: 'scheduled',
      keep: { daily: 7, weekly: 4 },
      timeZone: 'Europe/Paris',
    })
    await playJob(track, key, backup.jobId, BACKUP_STEPS)
    await statusBecomes(cookie, dep.id, 'ready')
    const last = await lastOutcome(cookie, dep.id, 'succeeded')
    expect(last.jobId).toBe(backup.jobId)
    expect(last.startedAt! - last.dueAt).toBeLessThan(2_000)
    const after = (await runsOf(cookie, dep.id)).schedules[0]!
    expect(after.nextAt!).toBeGreaterThan(last.dueAt)

    const log = await json<{ entries: { action: string; actor: string }[] }>(
      await call('GET', '/api/audit', { cookie }),
    )
    expect(log.entries.map((e) => e.action)).toContain('deployment.scheduled_action')
    expect(log.entries.find((e) => e.action === 'deployment.schedules_changed')?.actor).toBe(
      'admin',
    )
  })

  it('records a run the deployment could not take as missed, with the reason', async () => {
    const { cookie, key, control } = await withRunner(track)
    const dep = await createDeployment(cookie)
    const { job } = await nthAssign(control, 1)
    await playJob(track, key, job.jobId, DEPLOY_STEPS.slice(0, 1), {
      outcome: 'failed',
      error: { message: 'clone failed' },
    })
    await statusBecomes(cookie, dep.id, 'failed')
    await call('PUT', `/api/deployments/${dep.id}/schedules`, {
      cookie,
      body: { schedules: [hourlyBackup({ action: 'restart', keep: undefined })] },
    })
    const last = await lastOutcome(cookie, dep.id, 'missed')
    expect(last.reason).toBe('the deployment was failed')
    expect(last.jobId).toBeUndefined()
  })

  it('gives every new deployment its own copy of the Settings defaults', async () => {
    const { cookie } = await withRunner(track)
    const daily = hourlyBackup({ when: { every: 'day', at: '04:00' } })
    const bad = await call('PUT', '/api/settings/schedules', {
      cookie,
      body: { schedules: [hourlyBackup({ when: { every: 'day', at: '4am' } })] },
    })
    expect(bad.status).toBe(400)
    expect(JSON.stringify(await json(bad))).toContain('schedules.0.when.at')
    const saved = await call('PUT', '/api/settings/schedules', {
      cookie,
      body: { schedules: [daily] },
    })
    expect(saved.status).toBe(200)
    const a = await createDeployment(cookie)
    const b = await createDeployment(cookie)
    const [ofA] = (await runsOf(cookie, a.id)).schedules
    const [ofB] = (await runsOf(cookie, b.id)).schedules
    expect(ofA).toMatchObject({ action: 'backup', when: daily.when, keep: daily.keep })
    // Copies: editing one deployment's schedule changes neither the defaults nor the other's.
    expect(ofA!.id).not.toBe(daily.id)
    expect(ofA!.id).not.toBe(ofB!.id)
    expect(ofA!.nextAt).toBeGreaterThan(Date.now())
  })
})
