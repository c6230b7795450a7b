import { describe, expect, it } from 'vitest'
import { DEPLOY_STEPS } from '../../core/protocol'
import { call, json } from './helpers'
import {
  createDeployment,
  nthAssign,
  playJob,
  statusBecomes,
  useSockets,
  withRunner as withRunnerOf,
  type TestSocket,
} from './engine-helpers'
import { accountAs } from './people-helpers'

/**
 * A deployment's VM snapshots through the real worker: the list and delete a runner answers on
 * its control socket, bad names refused before any runner is asked, a viewer refused the delete.
 */

const track = useSockets()

async function readyDeployment() {
  const { cookie, key, control } = await withRunnerOf(track)
  const dep = await createDeployment(cookie)
  const { job } = await nthAssign(control, 1)
  await playJob(track, key, job.jobId, DEPLOY_STEPS)
  await statusBecomes(cookie, dep.id, 'ready')
  return { cookie, key, control, dep }
}

type Request = { type: string; requestId: string; deploymentId: string; delete?: string }

function requests(control: TestSocket): Request[] {
  return control.frames<Request>().filter((f) => f.type === 'snapshots.request')
}

/** Answer the next `snapshots.request` on the runner's control socket with `reply`. */
function answerSnapshots(control: TestSocket, reply: Record<string, unknown>) {
  const seen = requests(control).length
  void control
    .until('snapshots.request', () => requests(control)[seen])
    .then((req) => control.send({ type: 'snapshots.result', requestId: req.requestId, ...reply }))
}

const older = {
  name: 'pgd-change-aaaa',
  snaptime: 1_790_000_000,
  description: 'Proxmox Game Deployer: before a change of mc (x)\nmotd: A → B',
  parent: null,
  ours: true,
}
const newer = {
  name: 'pgd-change-bbbb',
  snaptime: 1_790_000_600,
  description: 'Proxmox Game Deployer: before a change of mc (x)\nmemory: 2048 → 4096 MiB',
  parent: 'pgd-change-aaaa',
  ours: true,
}

describe('snapshots', () => {
  it('lists and deletes through a runner, with the cap, and refuses a bad name', async () => {
    const { cookie, control, dep } = await readyDeployment()
    answerSnapshots(control, { snapshots: [newer, older] })
    const list = await call('GET', `/api/deployments/${dep.id}/snapshots`, { cookie })
    expect(list.status).toBe(200)
    expect(await json(list)).toEqual({
      cap: 3,
      snapshots: [newer, older].map((x) => ({ ...x, changes: null })),
      unavailable: null,
    })
    expect(requests(control).at(-1)).toMatchObject({ deploymentId: dep.id })
    expect(requests(control).at(-1)).not.toHaveProperty('delete')

    answerSnapshots(control, { snapshots: [newer] })
    const del = await call('DELETE', `/api/deployments/${dep.id}/snapshots/${older.name}`, {
      cookie,
    })
    expect(del.status).toBe(200)
    expect(await json(del)).toEqual({ cap: 3, snapshots: [{ ...newer, changes: null }] })
    expect(requests(control).at(-1)).toMatchObject({ deploymentId: dep.id, delete: older.name })
    const audit = await json<{ entries: { action: string; details: unknown }[] }>(
      await call('GET', '/api/audit', { cookie }),
    )
    expect(audit.entries.find((e) => e.action === 'deployment.snapshot_deleted')).toMatchObject({
      details: { name: older.name },
    })

    // The runner's refusal comes back in its words.
    answerSnapshots(control, { snapshots: null, error: 'VM 4242 has no snapshot pgd-change-zz' })
    const gone = await call('DELETE', `/api/deployments/${dep.id}/snapshots/pgd-change-zz`, {
      cookie,
    })
    expect(gone.status).toBe(409)
    expect(await json(gone)).toMatchObject({
      error: { message: 'VM 4242 has no snapshot pgd-change-zz' },
    })

    // Bad names never reach a runner.
    const asked = requests(control).length
    for (const name of ['1abc', 'a%20b', 'a.b', '_x', 'a'.repeat(41), 'x%3Bid']) {
      const bad = await call('DELETE', `/api/deployments/${dep.id}/snapshots/${name}`, { cookie })
      expect(bad.status, name).toBe(400)
      expect(await json(bad)).toMatchObject({ error: { details: [{ path: 'name' }] } })
    }
    expect(requests(control).length).toBe(asked)
  })

  it('names the change each snapshot came before with its fields, not its description', async () => {
    const { cookie, control, dep } = await readyDeployment()
    const detail = await json<{ deployment: { config: Record<string, unknown> } }>(
      await call('GET', `/api/deployments/${dep.id}`, { cookie }),
    )
    const config = { ...detail.deployment.config, motd: 'After' }
    const change = await call('POST', `/api/deployments/${dep.id}/change`, {
      cookie,
      body: { config },
    })
    expect(change.status).toBe(202)
    const { job } = await nthAssign<{ change: { snapshot: string } }>(control, 2)
    const taken = { ...newer, name: job.change.snapshot, description: 'free text, in English' }
    answerSnapshots(control, { snapshots: [taken, older] })
    const list = await json<{ snapshots: { name: string; changes: unknown }[] }>(
      await call('GET', `/api/deployments/${dep.id}/snapshots`, { cookie }),
    )
    expect(list.snapshots.map((x) => x.changes)).toEqual([
      [{ key: 'motd', from: detail.deployment.config.motd, to: 'After', secret: false }],
      null,
    ])
  })

  it('lets a viewer read the list but refuses the delete', async () => {
    const { control, dep } = await readyDeployment()
    const viewer = await accountAs('viewer')
    answerSnapshots(control, { snapshots: [older] })
    const list = await call('GET', `/api/deployments/${dep.id}/snapshots`, {
      cookie: viewer.cookie,
    })
    expect(list.status).toBe(200)
    const asked = requests(control).length
    const del = await call('DELETE', `/api/deployments/${dep.id}/snapshots/${older.name}`, {
      cookie: viewer.cookie,
    })
    expect(del.status).toBe(403)
    expect(requests(control).length).toBe(asked)
  })

  it('refuses a delete while a job works and says when no runner is online', async () => {
    const { cookie, control } = await withRunnerOf(track)
    const dep = await createDeployment(cookie)
    await nthAssign(control, 1)
    const busy = await call('DELETE', `/api/deployments/${dep.id}/snapshots/pgd-change-aaaa`, {
      cookie,
    })
    expect(busy.status).toBe(409)
    expect(await json(busy)).toMatchObject({
      error: { message: expect.stringMatching(/^Refused: a job is working on this deployment/) },
    })
    control.close()
    await new Promise((r) => setTimeout(r, 50))
    const res = await call('GET', `/api/deployments/${dep.id}/snapshots`, { cookie })
    expect(await json(res)).toEqual({
      cap: 3,
      snapshots: null,
      unavailable: { code: 'no_runner', message: 'No runner is online to reach Proxmox.' },
    })
  })
})
