import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { afterEach, describe, expect, it } from 'vitest'
import { DEPLOY_STEPS } from '../../core/protocol'
import type { DeploymentDO } from '../../worker/do/deployment'
import type { DeploymentState } from '../../core/deployment'
import { call, json, setupAdmin } from './helpers'
import {
  configureProxmox,
  connectJob,
  connectRunner,
  createDeployment,
  deploymentStatus,
  logLines,
  openSocket,
  PROXMOX,
  registerRunner,
  type TestSocket,
} from './engine-helpers'

const sockets: TestSocket[] = []
const track = <T extends TestSocket>(s: T): T => (sockets.push(s), s)
afterEach(() => {
  for (const s of sockets.splice(0)) s.close()
})

async function ready() {
  const cookie = await setupAdmin()
  await configureProxmox(cookie)
  const runner = await registerRunner(cookie)
  return { cookie, ...runner }
}

type Assign = {
  job: {
    jobId: string
    deploymentId: string
    kind: string
    proxmox: { tokenSecret: string }
    spec: { ipAddress: string; memoryMiB: number }
  }
}

/** An admin, a connected runner, a deployment assigned to it, and the job's socket. */
async function jobOnSocket() {
  const base = await ready()
  const control = track(await connectRunner(base.key))
  const dep = await createDeployment(base.cookie)
  const { job } = await control.frame<Assign>('job.assign')
  const { ws } = await connectJob(base.key, job.jobId)
  track(ws)
  return { ...base, control, dep, job, ws }
}

const stub = (id: string) => env.DEPLOYMENT.get(env.DEPLOYMENT.idFromName(id))

describe('runner registration', () => {
  it('swaps a one-time code for a key, and refuses the code a second time', async () => {
    const cookie = await setupAdmin()
    const created = await json<{ code: string; command: string }>(
      await call('POST', '/api/runners', { cookie, body: { name: 'rack-1' } }),
    )
    expect(created.command).toContain(`-e pgd_code=${created.code}`)
    // Letters and digits only: a code starting with '-' would read as an option on the CLI.
    expect(created.code).toMatch(/^[A-Za-z0-9]{24}$/)
    const first = await call('POST', '/api/runner/register', { body: { code: created.code } })
    expect(first.status).toBe(200)
    expect(await json(first)).toMatchObject({ key: expect.stringMatching(/^pgdr_/) })
    const again = await call('POST', '/api/runner/register', { body: { code: created.code } })
    expect(again.status).toBe(401)
    expect(await json(again)).toMatchObject({ error: { code: 'invalid_code' } })
  })

  it('stores only hashes of the code and the key', async () => {
    const cookie = await setupAdmin()
    const { key } = await registerRunner(cookie)
    const row = await env.DB.prepare('select key_hash, code_hash from runners').first<{
      key_hash: string
      code_hash: string | null
    }>()
    expect(row?.key_hash).toMatch(/^[0-9a-f]{64}$/)
    expect(row?.key_hash).not.toContain(key)
    expect(row?.code_hash).toBeNull()
  })

  it('shows a connected runner as online with its version, and answers heartbeats', async () => {
    const { cookie, key, runnerId } = await ready()
    const ws = track(await connectRunner(key))
    ws.send('ping')
    await ws.until('pong', () => ws.messages.includes('pong'))
    const list = await json<{ runners: { id: string; state: string; version: string }[] }>(
      await call('GET', '/api/runners', { cookie }),
    )
    expect(list.runners).toEqual([
      expect.objectContaining({ id: runnerId, state: 'online', version: '0.1.0' }),
    ])
  })

  it('refuses a socket with a wrong key', async () => {
    await ready()
    const res = await call('GET', '/api/runner/connect', {
      headers: { upgrade: 'websocket', authorization: 'Bearer pgdr_wrongwrongwrongwrongwrong' },
    })
    expect(res.status).toBe(401)
  })

  it('replaces the stale session when the same runner reconnects', async () => {
    const { key } = await ready()
    const first = track(await connectRunner(key))
    track(await connectRunner(key))
    await first.until('the old socket closing', () => first.closed)
    expect(first.closed?.code).toBe(4409)
  })
})

describe('a deployment through the engine', () => {
  it('is pushed to the runner the moment it is created, with the decrypted Proxmox secret', async () => {
    const { cookie, key } = await ready()
    const control = track(await connectRunner(key))
    const dep = await createDeployment(cookie)
    const assign = await control.frame<Assign>('job.assign')
    expect(assign.job.deploymentId).toBe(dep.id)
    expect(assign.job.kind).toBe('deploy')
    expect(assign.job.proxmox.tokenSecret).toBe(PROXMOX.tokenSecret)
    expect(assign.job.spec).toMatchObject({ ipAddress: '127.77.0.10', memoryMiB: 2048 })
  })

  it('goes from queued through the steps to ready, with every log line on the dashboard socket in order', async () => {
    const { cookie, key } = await ready()
    const control = track(await connectRunner(key))
    const dep = await createDeployment(cookie)
    const { job } = await control.frame<Assign>('job.assign')
    const dash = track(await openSocket(`/api/deployments/${dep.id}/events`, { cookie: cookie }))
    await dash.frame('state')
    const { ws, welcome } = await connectJob(key, job.jobId)
    track(ws)
    expect(welcome).toMatchObject({
      ackedSeq: 0,
      cancelRequested: false,
      checkpoint: { doneSteps: [] },
    })

    let seq = 1
    for (const step of DEPLOY_STEPS) {
      ws.send({ type: 'step', jobId: job.jobId, step, status: 'running', at: Date.now() })
      ws.send({ type: 'logs', jobId: job.jobId, lines: logLines(seq, 3, step) })
      seq += 3
      ws.send({
        type: 'step',
        jobId: job.jobId,
        step,
        status: 'done',
        at: Date.now(),
        ...(step === 'allocate' ? { checkpoint: { vmid: 105 } } : {}),
      })
    }
    ws.send({
      type: 'job.done',
      jobId: job.jobId,
      outcome: 'succeeded',
      result: { version: '1.21.5', players: { online: 0, max: 20 } },
    })
    await ws.until('the job socket closing', () => ws.closed)

    const lines = await dash.until('24 log lines', () => {
      const all = dash
        .frames<{ type: string; lines?: { seq: number; text: string }[] }>()
        .flatMap((f) => f.lines ?? [])
      return all.length >= 24 ? all : undefined
    })
    expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1))
    expect(lines.map((l) => l.text)).toEqual(Array.from({ length: 24 }, (_, i) => `line ${i + 1}`))
    const states = dash
      .frames<{ type: string; status?: string }>()
      .filter((f) => f.type === 'state')
      .map((f) => f.status)
    expect(states).toEqual(
      expect.arrayContaining([
        'provisioning_vm',
        'waiting_ssh',
        'provisioning_game',
        'verifying',
        'ready',
      ]),
    )

    const detail = await json<{
      deployment: { status: string; vmid: number; result: unknown; steps: { status: string }[] }
    }>(await call('GET', `/api/deployments/${dep.id}`, { cookie }))
    expect(detail.deployment.status).toBe('ready')
    expect(detail.deployment.vmid).toBe(105)
    expect(detail.deployment.result).toMatchObject({ version: '1.21.5' })
    expect(detail.deployment.steps.every((s) => s.status === 'done')).toBe(true)
    const job1 = await env.DB.prepare('select status from jobs where id = ?1')
      .bind(job.jobId)
      .first()
    expect(job1).toEqual({ status: 'done' })
  })

  it('acks only after persisting, and drops resent lines: nothing twice', async () => {
    const { cookie, key, dep, job, ws } = await jobOnSocket()
    ws.send({ type: 'logs', jobId: job.jobId, lines: logLines(1, 5) })
    await ws.frame('logs.ack', 5_000, (f: { seq: number }) => f.seq === 5)
    ws.close()
    // The runner reconnects and, unsure what arrived, resends 3..8.
    const again = await connectJob(key, job.jobId)
    track(again.ws)
    expect(again.welcome).toMatchObject({ ackedSeq: 5 })
    again.ws.send({ type: 'logs', jobId: job.jobId, lines: logLines(3, 6) })
    await again.ws.frame('logs.ack', 5_000, (f: { seq: number }) => f.seq === 8)
    const logs = await json<{ lines: { seq: number; text: string }[] }>(
      await call('GET', `/api/deployments/${dep.id}/logs?after=0`, { cookie }),
    )
    expect(logs.lines.map((l) => l.text)).toEqual(
      Array.from({ length: 8 }, (_, i) => `line ${i + 1}`),
    )
  })

  it('mirrors the log into D1 deployment_logs', async () => {
    const { dep, job, ws } = await jobOnSocket()
    ws.send({ type: 'logs', jobId: job.jobId, lines: logLines(1, 2500) })
    await ws.frame('logs.ack', 10_000, (f: { seq: number }) => f.seq === 2500)
    const deadline = Date.now() + 10_000
    let n = 0
    while (Date.now() < deadline) {
      n =
        (
          await env.DB.prepare('select count(*) as n from deployment_logs where deployment_id = ?1')
            .bind(dep.id)
            .first<{ n: number }>()
        )?.n ?? 0
      if (n === 2500) break
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(n).toBe(2500)
  })

  it('takes a done step naming the next one as that step starting, and refuses a wrong next', async () => {
    const { cookie, key, dep, job, ws } = await jobOnSocket()
    const at = Date.now()
    ws.send({ type: 'step', jobId: job.jobId, step: 'allocate', status: 'running', at })
    ws.send({ type: 'step', jobId: job.jobId, step: 'allocate', status: 'done', at, next: 'clone' })
    ws.send({ type: 'logs', jobId: job.jobId, lines: logLines(1, 1) })
    await ws.frame('logs.ack')
    type Detail = { deployment: { steps: { name: string; status: string; attempt: number }[] } }
    const { steps } = (
      await json<Detail>(await call('GET', `/api/deployments/${dep.id}`, { cookie }))
    ).deployment
    expect(steps.slice(0, 3)).toEqual([
      expect.objectContaining({ name: 'allocate', status: 'done' }),
      expect.objectContaining({ name: 'clone', status: 'running', attempt: 1 }),
      expect.objectContaining({ name: 'configure', status: 'pending' }),
    ])
    // A next step on anything but a done frame, or one the job does not have: refused, 1008.
    const refusals = [
      [{ status: 'failed', next: 'configure' }, 'only a done step names the next one'],
      [{ status: 'done', next: 'stop_vm' }, 'step stop_vm is not part of a deploy job'],
    ] as const
    for (const [bad, reason] of refusals) {
      const socket = track((await connectJob(key, job.jobId)).ws)
      socket.send({ type: 'step', jobId: job.jobId, step: 'clone', at, ...bad })
      await socket.until('the socket closing', () => socket.closed)
      expect(socket.closed).toMatchObject({ code: 1008, reason: expect.stringContaining(reason) })
    }
    expect(await deploymentStatus(cookie, dep.id)).toBe('provisioning_vm')
  })

  it('closes a runner socket that sends a malformed frame with 1008, and keeps working', async () => {
    const { cookie, key, dep, job, ws } = await jobOnSocket()
    ws.send('{"v":1,"type":"logs","jobId":"x","lines":"nope"}')
    await ws.until('the socket closing', () => ws.closed)
    expect(ws.closed?.code).toBe(1008)
    const again = await connectJob(key, job.jobId)
    track(again.ws)
    again.ws.send({ type: 'logs', jobId: job.jobId, lines: logLines(1, 1) })
    await again.ws.frame('logs.ack')
    expect(await deploymentStatus(cookie, dep.id)).toBe('queued')
  })
})

describe('leases, eviction and revocation', () => {
  it('re-queues a job whose lease expired and gives it to another runner', async () => {
    const { cookie, key } = await ready()
    const silent = track(await connectRunner(key))
    const dep = await createDeployment(cookie)
    const { job } = await silent.frame<Assign>('job.assign')
    silent.close()
    // Time passes with no word from the runner.
    await runInDurableObject(stub(dep.id), (instance: DeploymentDO) => {
      const s = instance.state() as DeploymentState
      if (s.job) s.job.lastActivityAt = Date.now() - 60_000
      instance.storeState(s)
    })
    const other = await registerRunner(cookie, 'runner-2')
    const second = track(await connectRunner(other.key))
    expect(await runDurableObjectAlarm(stub(dep.id))).toBe(true)
    const reassigned = await second.frame<Assign>('job.assign')
    expect(reassigned.job.jobId).toBe(job.jobId)
    const row = await env.DB.prepare('select runner_id, attempt from jobs where id = ?1')
      .bind(job.jobId)
      .first()
    expect(row).toEqual({ runner_id: other.runnerId, attempt: 2 })
  })

  it('loses no line when the Durable Object is evicted with live runner and dashboard sockets', async () => {
    const { cookie, key } = await ready()
    const control = track(await connectRunner(key))
    const dep = await createDeployment(cookie)
    const { job } = await control.frame<Assign>('job.assign')
    const dash = track(await openSocket(`/api/deployments/${dep.id}/events`, { cookie }))
    const { ws } = await connectJob(key, job.jobId)
    track(ws)
    ws.send({ type: 'logs', jobId: job.jobId, lines: logLines(1, 50) })
    await ws.frame('logs.ack', 5_000, (f: { seq: number }) => f.seq === 50)
    await evictDurableObject(stub(dep.id))
    ws.send({ type: 'logs', jobId: job.jobId, lines: logLines(51, 50) })
    await ws.frame('logs.ack', 5_000, (f: { seq: number }) => f.seq === 100)
    const lines = await dash.until('100 lines after eviction', () => {
      const all = dash.frames<{ lines?: { seq: number }[] }>().flatMap((f) => f.lines ?? [])
      return all.length >= 100 ? all : undefined
    })
    expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
  })

  it('still knows a runner after the hub is evicted: listed online, it gets the next job', async () => {
    const { cookie, key, runnerId } = await ready()
    const control = track(await connectRunner(key))
    await evictDurableObject(env.RUNNER_HUB.get(env.RUNNER_HUB.idFromName('hub')))
    const { runners } = await json<{ runners: { id: string; state: string }[] }>(
      await call('GET', '/api/runners', { cookie }),
    )
    expect(runners.find((r) => r.id === runnerId)?.state).toBe('online')
    const dep = await createDeployment(cookie)
    const { job } = await control.frame<Assign>('job.assign')
    expect(job.deploymentId).toBe(dep.id)
  })

  it('lets a dashboard resume after a given seq without losing or repeating lines', async () => {
    const { cookie, dep, job, ws } = await jobOnSocket()
    ws.send({ type: 'logs', jobId: job.jobId, lines: logLines(1, 30) })
    await ws.frame('logs.ack', 5_000, (f: { seq: number }) => f.seq === 30)
    const dash = track(await openSocket(`/api/deployments/${dep.id}/events?after=20`, { cookie }))
    const lines = await dash.until('10 lines', () => {
      const all = dash.frames<{ lines?: { seq: number }[] }>().flatMap((f) => f.lines ?? [])
      return all.length >= 10 ? all : undefined
    })
    expect(lines.map((l) => l.seq)).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30])
  })

  it('closes a revoked runner’s sockets at once, refuses its key and re-queues its job', async () => {
    const { cookie, key, runnerId } = await ready()
    const control = track(await connectRunner(key))
    await createDeployment(cookie)
    const { job } = await control.frame<Assign>('job.assign')
    const { ws } = await connectJob(key, job.jobId)
    track(ws)
    expect((await call('DELETE', `/api/runners/${runnerId}`, { cookie })).status).toBe(200)
    await control.until('control socket closed', () => control.closed)
    await ws.until('job socket closed', () => ws.closed)
    expect(control.closed?.code).toBe(4401)
    expect(ws.closed?.code).toBe(4401)
    const res = await call('GET', '/api/runner/connect', {
      headers: { upgrade: 'websocket', authorization: `Bearer ${key}` },
    })
    expect(res.status).toBe(401)
    expect(
      await env.DB.prepare('select status, runner_id from jobs where id = ?1')
        .bind(job.jobId)
        .first(),
    ).toEqual({
      status: 'queued',
      runner_id: null,
    })
  })
})
