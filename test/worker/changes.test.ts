import { describe, expect, it } from 'vitest'
import { snapshotName } from '../../core/change-plan'
import { CHANGE_STEPS, DEPLOY_STEPS, ROLLBACK_STEPS } from '../../core/protocol'
import { call, json } from './helpers'
import {
  createDeployment,
  deploymentStatus,
  MINECRAFT,
  nthAssign,
  playJob,
  statusBecomes,
  useSockets,
  withRunner,
} from './engine-helpers'

/**
 * The change route through the real worker: the config validated as at creation, the job's
 * assignment carrying the new spec and its snapshot, a failed change handing over to a rollback
 * job with the old spec, the D1 row changed only by a change that succeeded, the audit's diff.
 */

const track = useSockets()

interface Assigned {
  jobId: string
  kind: string
  spec: { gameConfig: Record<string, unknown>; memoryMiB: number }
  change?: { snapshot: string; summary: string[] }
}

async function readyDeployment() {
  const { cookie, key, control } = await withRunner(track)
  const dep = await createDeployment(cookie)
  const { job } = await nthAssign(control, 1)
  await playJob(track, key, job.jobId, DEPLOY_STEPS)
  await statusBecomes(cookie, dep.id, 'ready')
  return { cookie, key, control, dep }
}

const detail = async (cookie: string, id: string) =>
  (
    await json<{
      deployment: {
        config: Record<string, unknown>
        sizing: { memoryMiB: number }
        lastJob: { kind: string; outcome: string; rolledBack?: boolean; error?: string } | null
      }
    }>(await call('GET', `/api/deployments/${id}`, { cookie }))
  ).deployment

describe('changing a deployment', () => {
  it('runs a change, rolls a failed one back with the old spec, and keeps D1 as deployed', async () => {
    const { cookie, key, control, dep } = await readyDeployment()
    const url = `/api/deployments/${dep.id}/change`
    // Validated like the creation form, each mistake named.
    const bad = await call('POST', url, {
      cookie,
      body: { config: { ...MINECRAFT, maxPlayers: 0 } },
    })
    expect(bad.status).toBe(400)
    expect(JSON.stringify(await json(bad))).toContain('config.maxPlayers')
    const same = await call('POST', url, { cookie, body: { config: MINECRAFT } })
    expect(await json(same)).toMatchObject({ error: { message: 'Refused: nothing would change.' } })

    const config = { ...MINECRAFT, motd: 'Changed', memoryMb: 3072 }
    const res = await call('POST', url, { cookie, body: { config } })
    expect(res.status).toBe(202)
    expect(await deploymentStatus(cookie, dep.id)).toBe('changing')
    const { job } = await nthAssign<Assigned>(control, 2)
    expect(job).toMatchObject({
      kind: 'change',
      spec: { memoryMiB: 3072, gameConfig: { motd: 'Changed' } },
      change: { snapshot: snapshotName(job.jobId) },
    })
    expect(job.change?.summary).toEqual([
      'memoryMiB: 2048 → 3072',
      'motd: A Minecraft Server → Changed',
    ])
    // Not in D1 while it runs.
    expect((await detail(cookie, dep.id)).config.motd).toBe('A Minecraft Server')

    await playJob(track, key, job.jobId, CHANGE_STEPS.slice(0, 4), {
      outcome: 'failed',
      error: { message: 'verify: the game does not answer' },
    })
    await statusBecomes(cookie, dep.id, 'rolling_back')
    const { job: rollback } = await nthAssign<Assigned>(control, 3)
    expect(rollback).toMatchObject({
      kind: 'rollback',
      spec: { memoryMiB: 2048, gameConfig: { motd: 'A Minecraft Server' } },
      change: { snapshot: snapshotName(job.jobId) },
    })
    await playJob(track, key, rollback.jobId, ROLLBACK_STEPS)
    await statusBecomes(cookie, dep.id, 'ready')
    const back = await detail(cookie, dep.id)
    expect(back.lastJob).toMatchObject({ kind: 'change', outcome: 'failed', rolledBack: true })
    expect(back.config.motd).toBe('A Minecraft Server')

    // Retry: the same change, which now succeeds and reaches D1.
    expect((await call('POST', `/api/deployments/${dep.id}/retry`, { cookie })).status).toBe(200)
    const { job: again } = await nthAssign<Assigned>(control, 4)
    expect(again).toMatchObject({ kind: 'change', spec: { gameConfig: { motd: 'Changed' } } })
    await playJob(track, key, again.jobId, CHANGE_STEPS)
    await statusBecomes(cookie, dep.id, 'ready')
    const after = await detail(cookie, dep.id)
    expect([after.config.motd, after.sizing.memoryMiB]).toEqual(['Changed', 3072])

    const audit = await json<{ entries: { action: string; details: unknown }[] }>(
      await call('GET', '/api/audit?limit=50', { cookie }),
    )
    const actions = audit.entries.map((e) => e.action)
    expect(actions).toContain('deployment.change_rolled_back')
    const requested = audit.entries.find((e) => e.action === 'deployment.change_requested')
    expect(requested?.details).toEqual({
      changes: [
        { key: 'memoryMiB', from: '2048', to: '3072', secret: false },
        { key: 'motd', from: 'A Minecraft Server', to: 'Changed', secret: false },
      ],
      snapshot: expect.stringMatching(/^pgd-change-/),
    })
  })

  it('refuses an update it cannot check, and names a malformed version', async () => {
    const { cookie, dep } = await readyDeployment()
    const url = `/api/deployments/${dep.id}/update`
    const bad = await call('POST', url, { cookie, body: { version: '1.21; reboot' } })
    expect(bad.status).toBe(400)
    expect(JSON.stringify(await json(bad))).toContain('version')
    // This runner's deploy reported no installed release: nothing to compare the new one with.
    const unseen = await call('POST', url, { cookie, body: { version: '26.1.1' } })
    expect(unseen.status).toBe(409)
    expect(JSON.stringify(await json(unseen))).toContain('the installed version is not known yet')
    expect(await deploymentStatus(cookie, dep.id)).toBe('ready')
  })
})
