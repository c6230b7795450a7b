import { TEMPLATE_STEPS } from '../../core/protocol'
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
 * The template job through the real worker and DeploymentDO, with a scripted runner: the API's
 * checks, the job handed out with its request, the record kept out of the game list, and the
 * template selected in Settings when it succeeds.
 */
const track = useSockets()
const withRunner = () => withRunnerOf(track)

interface Job {
  jobId: string
  kind: string
  deploymentId: string
  spec: { template?: { release: string; mirrorUrl?: string; imageStorage: string } }
}
interface TemplatesView {
  job: { id: string; status: string; release: string | null } | null
  templateVmid: number | null
}

describe('the template job API', () => {
  it('needs a session', async () => {
    expect((await call('GET', '/api/templates')).status).toBe(401)
    expect((await call('POST', '/api/templates', { body: { release: '12' } })).status).toBe(401)
  })

  it('names a bad release or mirror URL, and needs the Proxmox connection first', async () => {
    const cookie = await setupAdmin()
    const noProxmox = await call('POST', '/api/templates', { cookie, body: { release: '12' } })
    expect(noProxmox.status).toBe(409)
    await configureProxmox(cookie)
    const badRelease = await call('POST', '/api/templates', { cookie, body: { release: '11' } })
    expect(badRelease.status).toBe(400)
    expect(await badRelease.text()).toContain('release')
    const badMirror = await call('POST', '/api/templates', {
      cookie,
      body: { release: '12', mirrorUrl: 'https://mirror.lan/x?$(reboot)' },
    })
    expect(badMirror.status).toBe(400)
    const body = await json<{ error: { details: { path: string; message: string }[] } }>(badMirror)
    expect(body.error.details[0]?.path).toBe('mirrorUrl')
    expect(body.error.details[0]?.message).toMatch(/http:\/\/ or https:\/\/ URL/)
  })

  it('runs on a runner like a deployment, stays out of the game list, and selects the template', async () => {
    const ctx = await withRunner()
    const created = await call('POST', '/api/templates', {
      cookie: ctx.cookie,
      body: { release: '13', mirrorUrl: 'http://127.0.0.1:8080/debian' },
    })
    expect(created.status).toBe(201)
    const { job: view } = await json<{ job: { id: string } }>(created)
    // One at a time.
    const again = await call('POST', '/api/templates', {
      cookie: ctx.cookie,
      body: { release: '13' },
    })
    expect(again.status).toBe(409)

    const { job } = await nthAssign<Job>(ctx.control, 1)
    expect(job.kind).toBe('template')
    expect(job.deploymentId).toBe(view.id)
    expect(job.spec.template).toEqual({
      release: '13',
      mirrorUrl: 'http://127.0.0.1:8080/debian/',
      imageStorage: 'local',
    })
    const list = await json<{ deployments: unknown[] }>(
      await call('GET', '/api/deployments', { cookie: ctx.cookie }),
    )
    expect(list.deployments).toEqual([])

    const { ws } = await connectJob(ctx.key, job.jobId)
    track(ws)
    for (const step of TEMPLATE_STEPS) {
      ws.send({ type: 'step', jobId: job.jobId, step, status: 'running', at: Date.now() })
      ws.send({ type: 'step', jobId: job.jobId, step, status: 'done', at: Date.now() })
    }
    ws.send({
      type: 'job.done',
      jobId: job.jobId,
      outcome: 'succeeded',
      result: { templateVmid: 9123, release: '13' },
    })
    await ws.until('close', () => ws.closed)

    const after = await json<TemplatesView>(
      await call('GET', '/api/templates', { cookie: ctx.cookie }),
    )
    expect(after.job).toMatchObject({ id: view.id, status: 'ready', release: '13' })
    expect(after.templateVmid).toBe(9123)
    const settings = await json<{ proxmox: { templateVmid: number; tokenSecretSet: boolean } }>(
      await call('GET', '/api/settings/proxmox', { cookie: ctx.cookie }),
    )
    expect(settings.proxmox).toMatchObject({ templateVmid: 9123, tokenSecretSet: true })
    const detail = await json<{ deployment: { steps: { name: string; status: string }[] } }>(
      await call('GET', `/api/deployments/${view.id}`, { cookie: ctx.cookie }),
    )
    expect(detail.deployment.steps.map((s) => [s.name, s.status])).toEqual(
      TEMPLATE_STEPS.map((s) => [s, 'done']),
    )
  })
})
