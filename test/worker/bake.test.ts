import { BAKE_LAYERS, bakedTemplateName } from '../../core/bake'
import { BAKE_STEPS } from '../../core/protocol/constants'
import { describe, expect, it } from 'vitest'
import { call, json, setupAdmin } from './helpers'
import {
  configureProxmox,
  connectJob,
  nthAssign,
  useSockets,
  withRunner as withRunnerOf,
} from './engine-helpers'

/**
 * The bake job (core/bake.ts) through the real worker and DeploymentDO, with a scripted runner:
 * the API's checks, the job handed out with the layer to bake and an address for its VM, the
 * record kept out of the game list, its address back in the pool when the template is made, and
 * whether the template is current.
 */
const track = useSockets()
const withRunner = () => withRunnerOf(track)

interface Job {
  jobId: string
  kind: string
  deploymentId: string
  spec: {
    name: string
    ipAddress: string
    bake?: { game: string; javaMajor: number; layer: string }
  }
}
interface BakeView {
  job: { id: string; status: string; name: string; templateVmid: number | null; outOfDate: boolean }
  layers: Record<string, string>
}

describe('the bake job API', () => {
  it('needs a session, then names a bad field, and needs the Proxmox connection first', async () => {
    expect((await call('GET', '/api/templates/bake')).status).toBe(401)
    const cookie = await setupAdmin()
    const body = { game: 'minecraft', javaMajor: 21 }
    expect((await call('POST', '/api/templates/bake', { cookie, body })).status).toBe(409)
    await configureProxmox(cookie)
    const bad = await call('POST', '/api/templates/bake', {
      cookie,
      body: { game: 'minecraft', javaMajor: 11 },
    })
    expect(bad.status).toBe(400)
    const error = await json<{ error: { details: { path: string }[] } }>(bad)
    expect(error.error.details[0]?.path).toBe('javaMajor')
    const unknown = await call('POST', '/api/templates/bake', {
      cookie,
      body: { game: 'valheim', javaMajor: 21 },
    })
    expect(unknown.status).toBe(400)
  })

  it('bakes on a runner with an address it gives back, hidden from the game list', async () => {
    const ctx = await withRunner()
    const created = await call('POST', '/api/templates/bake', {
      cookie: ctx.cookie,
      body: { game: 'minecraft', javaMajor: 21 },
    })
    expect(created.status).toBe(201)
    const { job: view } = await json<BakeView>(created)
    const name = bakedTemplateName('minecraft', 21, BAKE_LAYERS.minecraft)
    expect(view).toMatchObject({ name, status: 'queued', outOfDate: false })
    const again = await call('POST', '/api/templates/bake', {
      cookie: ctx.cookie,
      body: { game: 'minecraft', javaMajor: 21 },
    })
    expect(again.status).toBe(409)

    const { job } = await nthAssign<Job>(ctx.control, 1)
    expect(job.kind).toBe('bake')
    expect(job.deploymentId).toBe(view.id)
    expect(job.spec.name).toBe(name)
    expect(job.spec.bake).toEqual({
      game: 'minecraft',
      javaMajor: 21,
      layer: BAKE_LAYERS.minecraft,
    })
    expect(job.spec.ipAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/)
    const list = await json<{ deployments: unknown[] }>(
      await call('GET', '/api/deployments', { cookie: ctx.cookie }),
    )
    expect(list.deployments).toEqual([])

    const { ws } = await connectJob(ctx.key, job.jobId)
    track(ws)
    for (const step of BAKE_STEPS) {
      ws.send({ type: 'step', jobId: job.jobId, step, status: 'running', at: Date.now() })
      ws.send({ type: 'step', jobId: job.jobId, step, status: 'done', at: Date.now() })
    }
    ws.send({
      type: 'job.done',
      jobId: job.jobId,
      outcome: 'succeeded',
      result: { templateVmid: 9200, name },
    })
    await ws.until('close', () => ws.closed)

    const after = await json<BakeView>(
      await call('GET', '/api/templates/bake', { cookie: ctx.cookie }),
    )
    expect(after.job).toMatchObject({ id: view.id, status: 'ready', templateVmid: 9200 })
    expect(after.job.outOfDate).toBe(false)
    expect(after.layers).toEqual(BAKE_LAYERS)
    // The VM it baked on is a template now: its address is free for the next deployment.
    const next = await json<{ deployment: { ip: string } }>(
      await call('POST', '/api/deployments', {
        cookie: ctx.cookie,
        body: { name: 'after the bake', game: 'minecraft', config: { eula: true } },
      }),
    )
    expect(next.deployment.ip).toBe(job.spec.ipAddress)
  }, 30_000)
})
