import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { ADMIN, call, json, setupAdmin } from './helpers'
import {
  configureProxmox,
  connectJob,
  createDeployment,
  deploymentStatus,
  MINECRAFT,
  nthAssign,
  useSockets,
  withRunner as withRunnerOf,
  type TestSocket,
} from './engine-helpers'

const track = useSockets()
const withRunner = () => withRunnerOf(track)
const nth = (control: TestSocket, n: number) => nthAssign(control, n)

describe('creating a deployment', () => {
  it('refuses a config the game module rejects, naming the field under config', async () => {
    const cookie = await setupAdmin()
    await configureProxmox(cookie)
    const res = await call('POST', '/api/deployments', {
      cookie,
      body: { name: 'x', game: 'minecraft', config: { ...MINECRAFT, eula: false } },
    })
    expect(res.status).toBe(400)
    const body = await json<{ error: { message: string; details: { path: string }[] } }>(res)
    expect(body.error.details.map((d) => d.path)).toContain('config.eula')
    expect(body.error.message).toContain('config.eula')
  })

  it('refuses an unknown game', async () => {
    const cookie = await setupAdmin()
    await configureProxmox(cookie)
    const res = await call('POST', '/api/deployments', {
      cookie,
      body: { name: 'x', game: 'tetris', config: {} },
    })
    expect(res.status).toBe(400)
    expect(await json(res)).toMatchObject({ error: { details: [{ path: 'game' }] } })
  })

  it('asks for the Proxmox settings first', async () => {
    const cookie = await setupAdmin()
    const res = await call('POST', '/api/deployments', {
      cookie,
      body: { name: 'x', game: 'minecraft', config: MINECRAFT },
    })
    expect(res.status).toBe(409)
    expect(await json(res)).toMatchObject({ error: { code: 'proxmox_not_configured' } })
  })

  it('gives each deployment its own address from the pool, and says when the pool is empty', async () => {
    const cookie = await setupAdmin()
    await configureProxmox(cookie)
    const ips = []
    for (let i = 0; i < 3; i++) ips.push((await createDeployment(cookie)).ip)
    expect(ips).toEqual(['127.77.0.10', '127.77.0.11', '127.77.0.12'])
    const res = await call('POST', '/api/deployments', {
      cookie,
      body: { name: 'x', game: 'minecraft', config: MINECRAFT },
    })
    expect(res.status).toBe(409)
    expect(await json(res)).toMatchObject({ error: { code: 'pool_exhausted' } })
  })

  it('takes a given address, refuses one in use or outside the network', async () => {
    const cookie = await setupAdmin()
    await configureProxmox(cookie)
    const dep = await createDeployment(cookie, { network: { mode: 'static', ip: '127.77.5.5' } })
    expect(dep.ip).toBe('127.77.5.5')
    const dup = await call('POST', '/api/deployments', {
      cookie,
      body: {
        name: 'y',
        game: 'minecraft',
        config: MINECRAFT,
        network: { mode: 'static', ip: '127.77.5.5' },
      },
    })
    expect(dup.status).toBe(409)
    const outside = await call('POST', '/api/deployments', {
      cookie,
      body: {
        name: 'y',
        game: 'minecraft',
        config: MINECRAFT,
        network: { mode: 'static', ip: '10.1.2.3' },
      },
    })
    expect(outside.status).toBe(400)
    expect(await json(outside)).toMatchObject({ error: { details: [{ path: 'network.ip' }] } })
  })

  it('lists deployments and filters them by status', async () => {
    const cookie = await setupAdmin()
    await configureProxmox(cookie)
    await createDeployment(cookie)
    const all = await json<{ deployments: { status: string }[] }>(
      await call('GET', '/api/deployments', { cookie }),
    )
    expect(all.deployments).toHaveLength(1)
    const ready = await json<{ deployments: unknown[] }>(
      await call('GET', '/api/deployments?status=ready', { cookie }),
    )
    expect(ready.deployments).toHaveLength(0)
    expect((await call('GET', '/api/deployments?status=bogus', { cookie })).status).toBe(400)
  })
})

const logLine = (seq: number, text: string) => ({ seq, ts: Date.now(), stream: 'info', text })

/** The deployment's log as the dashboard reads it. */
async function logTexts(cookie: string, id: string): Promise<string[]> {
  const res = await call('GET', `/api/deployments/${id}/logs?after=0`, { cookie })
  return (await json<{ lines: { text: string }[] }>(res)).lines.map((l) => l.text)
}

describe('cancel, retry, destroy', () => {
  it('cancels a queued deployment at once when no runner holds it', async () => {
    const cookie = await setupAdmin()
    await configureProxmox(cookie)
    const dep = await createDeployment(cookie)
    const res = await call('POST', `/api/deployments/${dep.id}/cancel`, { cookie })
    expect(res.status).toBe(200)
    expect(await deploymentStatus(cookie, dep.id)).toBe('cancelled')
    expect(
      await env.DB.prepare('select status from jobs where deployment_id = ?1').bind(dep.id).first(),
    ).toEqual({ status: 'cancelled' })
    const line = (await logTexts(cookie, dep.id)).find((t) => t.startsWith('Cancelled by'))
    expect(line).toMatch(new RegExp(`^Cancelled by ${ADMIN.username} at \\d{4}-\\d\\d-\\d\\dT`))
  })

  it('asks the runner to stop a running job, then ends cancelled', async () => {
    const { cookie, key, control } = await withRunner()
    const dep = await createDeployment(cookie)
    const { job } = await nth(control, 1)
    const { ws } = await connectJob(key, job.jobId)
    track(ws)
    ws.send({ type: 'step', jobId: job.jobId, step: 'allocate', status: 'running', at: Date.now() })
    ws.send({ type: 'logs', jobId: job.jobId, lines: [logLine(1, 'runner: allocating')] })
    await ws.frame('logs.ack')
    await call('POST', `/api/deployments/${dep.id}/cancel`, { cookie })
    expect(await deploymentStatus(cookie, dep.id)).toBe('cancelling')
    // The runner's own lines go on after the cancel line, numbered on from it.
    ws.send({ type: 'logs', jobId: job.jobId, lines: [logLine(2, 'runner: stopping')] })
    await ws.frame('logs.ack', 5_000, (f: { seq: number }) => f.seq === 2)
    await ws.frame('job.cancel')
    await control.frame('job.cancel')
    ws.send({ type: 'job.done', jobId: job.jobId, outcome: 'cancelled' })
    await ws.until('close', () => ws.closed)
    expect(await deploymentStatus(cookie, dep.id)).toBe('cancelled')
    const detail = await json<{ deployment: { steps: { name: string; status: string }[] } }>(
      await call('GET', `/api/deployments/${dep.id}`, { cookie }),
    )
    expect(detail.deployment.steps.find((s) => s.name === 'allocate')?.status).toBe('cancelled')
    expect(await logTexts(cookie, dep.id)).toEqual([
      'runner: allocating',
      expect.stringMatching(new RegExp(`^Cancelled by ${ADMIN.username} at `)),
      'runner: stopping',
    ])
  })

  it('treats the frames a reconnecting runner replays as no-ops', async () => {
    const { cookie, key, control } = await withRunner()
    const dep = await createDeployment(cookie)
    const { job } = await nth(control, 1)
    const first = await connectJob(key, job.jobId)
    track(first.ws)
    const at = Date.now()
    first.ws.send({ type: 'step', jobId: job.jobId, step: 'allocate', status: 'running', at })
    first.ws.send({
      type: 'step',
      jobId: job.jobId,
      step: 'allocate',
      status: 'done',
      at,
      checkpoint: { vmid: 321 },
    })
    first.ws.send({ type: 'step', jobId: job.jobId, step: 'clone', status: 'running', at })
    first.ws.send({
      type: 'logs',
      jobId: job.jobId,
      lines: [{ seq: 1, ts: at, stream: 'stdout', text: 'sync' }],
    })
    await first.ws.frame('logs.ack')
    first.ws.close()
    const again = await connectJob(key, job.jobId)
    track(again.ws)
    again.ws.send({
      type: 'step',
      jobId: job.jobId,
      step: 'allocate',
      status: 'done',
      at,
      checkpoint: { vmid: 321 },
    })
    again.ws.send({
      type: 'step',
      jobId: job.jobId,
      step: 'clone',
      status: 'running',
      at: Date.now(),
    })
    again.ws.send({
      type: 'logs',
      jobId: job.jobId,
      lines: [{ seq: 1, ts: at, stream: 'stdout', text: 'sync' }],
    })
    await again.ws.frame('logs.ack')
    const detail = await json<{
      deployment: {
        vmid: number
        steps: { name: string; status: string; attempt: number; startedAt: number }[]
      }
    }>(await call('GET', `/api/deployments/${dep.id}`, { cookie }))
    expect(detail.deployment.vmid).toBe(321)
    expect(detail.deployment.steps.slice(0, 2)).toMatchObject([
      { name: 'allocate', status: 'done', attempt: 1 },
      { name: 'clone', status: 'running', attempt: 1, startedAt: at },
    ])
  })

  it('refuses actions the state does not allow, with a clear 409', async () => {
    const cookie = await setupAdmin()
    await configureProxmox(cookie)
    const dep = await createDeployment(cookie)
    const retry = await call('POST', `/api/deployments/${dep.id}/retry`, { cookie })
    expect(retry.status).toBe(409)
    expect(await json(retry)).toMatchObject({
      error: { code: 'invalid_state', message: expect.stringContaining('queued') },
    })
    expect((await call('POST', `/api/deployments/${dep.id}/destroy`, { cookie })).status).toBe(409)
  })

  it('records the failing step and error, then retries from that step with the checkpoint', async () => {
    const { cookie, key, control } = await withRunner()
    const dep = await createDeployment(cookie)
    const first = (await nth(control, 1)).job
    const { ws } = await connectJob(key, first.jobId)
    track(ws)
    for (const step of ['allocate', 'clone']) {
      ws.send({ type: 'step', jobId: first.jobId, step, status: 'running', at: Date.now() })
      ws.send({
        type: 'step',
        jobId: first.jobId,
        step,
        status: 'done',
        at: Date.now(),
        checkpoint: step === 'clone' ? { vmid: 123 } : undefined,
      })
    }
    ws.send({
      type: 'step',
      jobId: first.jobId,
      step: 'configure',
      status: 'running',
      at: Date.now(),
    })
    const error = { message: 'Proxmox refused the config', detail: 'VM is locked (clone)' }
    ws.send({
      type: 'step',
      jobId: first.jobId,
      step: 'configure',
      status: 'failed',
      at: Date.now(),
      error,
    })
    ws.send({
      type: 'job.done',
      jobId: first.jobId,
      outcome: 'failed',
      error: { ...error, step: 'configure' },
    })
    await ws.until('close', () => ws.closed)
    const failed = await json<{
      deployment: { status: string; error: unknown; steps: { name: string; status: string }[] }
    }>(await call('GET', `/api/deployments/${dep.id}`, { cookie }))
    expect(failed.deployment.status).toBe('failed')
    expect(failed.deployment.error).toEqual({ ...error, step: 'configure' })
    expect(failed.deployment.steps.find((s) => s.name === 'configure')?.status).toBe('failed')

    expect((await call('POST', `/api/deployments/${dep.id}/retry`, { cookie })).status).toBe(200)
    const second = (await nth(control, 2)).job
    expect(second.jobId).not.toBe(first.jobId)
    const again = await connectJob(key, second.jobId)
    track(again.ws)
    expect(again.welcome).toMatchObject({
      checkpoint: { vmid: 123, doneSteps: ['allocate', 'clone'] },
    })
    const detail = await json<{
      deployment: { status: string; steps: { name: string; status: string }[] }
    }>(await call('GET', `/api/deployments/${dep.id}`, { cookie }))
    expect(detail.deployment.status).toBe('queued')
    expect(detail.deployment.steps.map((s) => s.status).slice(0, 3)).toEqual([
      'done',
      'done',
      'pending',
    ])
  })

  it('destroys a ready deployment and gives its address back to the pool', async () => {
    const { cookie, key, control } = await withRunner()
    const dep = await createDeployment(cookie, { network: { mode: 'static', ip: '127.77.0.10' } })
    const deploy = (await nth(control, 1)).job
    const d = await connectJob(key, deploy.jobId)
    track(d.ws)
    d.ws.send({ type: 'job.done', jobId: deploy.jobId, outcome: 'succeeded', result: {} })
    await d.ws.until('close', () => d.ws.closed)
    expect(await deploymentStatus(cookie, dep.id)).toBe('ready')

    expect((await call('POST', `/api/deployments/${dep.id}/destroy`, { cookie })).status).toBe(200)
    const destroy = (await nth(control, 2)).job
    expect(destroy.kind).toBe('destroy')
    const x = await connectJob(key, destroy.jobId)
    track(x.ws)
    for (const step of ['stop_vm', 'delete_vm']) {
      x.ws.send({ type: 'step', jobId: destroy.jobId, step, status: 'running', at: Date.now() })
      x.ws.send({ type: 'step', jobId: destroy.jobId, step, status: 'done', at: Date.now() })
    }
    x.ws.send({ type: 'job.done', jobId: destroy.jobId, outcome: 'succeeded' })
    await x.ws.until('close', () => x.ws.closed)
    expect(await deploymentStatus(cookie, dep.id)).toBe('destroyed')
    const reuse = await createDeployment(cookie, { network: { mode: 'static', ip: '127.77.0.10' } })
    expect(reuse.ip).toBe('127.77.0.10')
  })

  it('writes an audit row for each action', async () => {
    const cookie = await setupAdmin()
    await configureProxmox(cookie)
    const dep = await createDeployment(cookie)
    await call('POST', `/api/deployments/${dep.id}/cancel`, { cookie })
    const rows = await env.DB.prepare(`select action from audit_log where target = ?1 order by id`)
      .bind(dep.id)
      .all()
    expect(rows.results.map((r) => r.action)).toEqual([
      'deployment.created',
      'deployment.cancel_requested',
    ])
  })
})

describe('test connection', () => {
  it('runs the checks on an online runner and returns them', async () => {
    const { cookie, control } = await withRunner()
    const pending = call('POST', '/api/settings/proxmox/test', { cookie })
    const request = await control.frame<{ requestId: string; proxmox: { tokenSecret: string } }>(
      'test.request',
    )
    expect(request.proxmox.tokenSecret).toBeTruthy()
    control.send({
      type: 'test.result',
      requestId: request.requestId,
      checks: [{ name: 'version', ok: true, message: 'PVE 9.1' }],
    })
    const res = await pending
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({
      name: 'runner-1',
      checks: [{ name: 'version', ok: true }],
    })
  })

  it('says so when no runner is online', async () => {
    const cookie = await setupAdmin()
    await configureProxmox(cookie)
    const res = await call('POST', '/api/settings/proxmox/test', { cookie })
    expect(res.status).toBe(409)
    expect(await json(res)).toMatchObject({ error: { code: 'no_runner_online' } })
  })
})
