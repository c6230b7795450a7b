import { env } from 'cloudflare:test'
import { DEPLOY_STEPS } from '../../core/protocol'
import { describe, expect, it } from 'vitest'
import { call, json, setupAdmin } from './helpers'
import {
  connectJob,
  createDeployment,
  deploymentStatus,
  openSocket,
  nthAssign,
  useSockets,
  withRunner as withRunnerOf,
  type TestSocket,
} from './engine-helpers'

const track = useSockets()

interface Job {
  jobId: string
  kind: string
  spec: { gameConfig: Record<string, unknown> }
  secrets: string[]
}
type Frame = { type: string; [k: string]: unknown }

const withRunner = () => withRunnerOf(track)
const assigned = async (control: TestSocket, n: number) => (await nthAssign<Job>(control, n)).job

/** Play a whole job on its socket: each step running then done, then the outcome. */
async function playJob(
  key: string,
  job: Job,
  steps: readonly string[],
  outcome: 'succeeded' | 'failed' = 'succeeded',
  extra: Record<string, unknown> = {},
  checkpoints: Record<string, Record<string, unknown>> = { clone: { vmid: 4242 } },
) {
  const { ws, welcome } = await connectJob(key, job.jobId)
  track(ws)
  for (const step of steps) {
    ws.send({ type: 'step', jobId: job.jobId, step, status: 'running', at: Date.now() })
    ws.send({
      type: 'step',
      jobId: job.jobId,
      step,
      status: 'done',
      at: Date.now(),
      checkpoint: checkpoints[step],
    })
  }
  ws.send({ type: 'job.done', jobId: job.jobId, outcome, ...extra })
  await ws.until('close', () => ws.closed)
  return welcome
}

/** A deployment taken to `ready` by a scripted runner (its VM is 4242). */
async function readyDeployment() {
  const ctx = await withRunner()
  const dep = await createDeployment(ctx.cookie)
  await playJob(ctx.key, await assigned(ctx.control, 1), DEPLOY_STEPS, 'succeeded', {
    result: { version: '1.21.5', players: { online: 0, max: 20 } },
  })
  expect(await deploymentStatus(ctx.cookie, dep.id)).toBe('ready')
  return { ...ctx, dep }
}

const post = (cookie: string, id: string, action: string) =>
  call('POST', `/api/deployments/${id}/${action}`, { cookie })

async function refusal(res: Response): Promise<string> {
  expect(res.status).toBe(409)
  const body = await json<{ error: { code: string; message: string } }>(res)
  expect(body.error.code).toBe('invalid_state')
  return body.error.message
}

describe('power actions', () => {
  it('stops a ready game gracefully, starts it again, restarts it: each a job with its steps', async () => {
    const { cookie, key, control, dep } = await readyDeployment()

    const stopped = await post(cookie, dep.id, 'stop')
    expect(stopped.status).toBe(200)
    expect((await json<{ deployment: { status: string } }>(stopped)).deployment.status).toBe(
      'stopping',
    )
    const stop = await assigned(control, 2)
    expect(stop.kind).toBe('stop')
    const detail = await json<{ deployment: { steps: { name: string }[]; job: { kind: string } } }>(
      await call('GET', `/api/deployments/${dep.id}`, { cookie }),
    )
    expect(detail.deployment.job.kind).toBe('stop')
    expect(detail.deployment.steps.map((s) => s.name)).toEqual(['warn_players', 'stop_vm'])
    const welcome = await playJob(key, stop, ['warn_players', 'stop_vm'])
    // The VM is known; the deploy's done steps are not this job's.
    expect(welcome).toMatchObject({ checkpoint: { vmid: 4242, doneSteps: [] } })
    const stoppedView = await json<{
      deployment: { status: string; job: unknown; lastJob: unknown }
    }>(await call('GET', `/api/deployments/${dep.id}`, { cookie }))
    expect(stoppedView.deployment).toMatchObject({
      status: 'stopped',
      job: null,
      lastJob: { kind: 'stop', outcome: 'succeeded', endedAt: expect.any(Number) },
    })

    expect((await post(cookie, dep.id, 'start')).status).toBe(200)
    expect(await deploymentStatus(cookie, dep.id)).toBe('starting')
    const start = await assigned(control, 3)
    expect(start.kind).toBe('start')
    await playJob(key, start, ['start', 'wait_ssh', 'verify'], 'succeeded', {
      result: { version: '1.21.6', players: { online: 2, max: 20 } },
    })
    const after = await json<{ deployment: { status: string; result: unknown } }>(
      await call('GET', `/api/deployments/${dep.id}`, { cookie }),
    )
    expect(after.deployment.status).toBe('ready')
    // What the game answers after the start replaces what it answered at deploy time.
    expect(after.deployment.result).toEqual({ version: '1.21.6', players: { online: 2, max: 20 } })

    expect((await post(cookie, dep.id, 'restart')).status).toBe(200)
    expect(await deploymentStatus(cookie, dep.id)).toBe('restarting')
    const restart = await assigned(control, 4)
    expect(restart.kind).toBe('restart')
    await playJob(key, restart, ['warn_players', 'stop_vm', 'start', 'wait_ssh', 'verify'])
    expect(await deploymentStatus(cookie, dep.id)).toBe('ready')

    const audit = await env.DB.prepare(`select action from audit_log where target = ?1 order by id`)
      .bind(dep.id)
      .all()
    expect(audit.results.map((r) => r.action)).toEqual([
      'deployment.created',
      'deployment.stop_requested',
      'deployment.start_requested',
      'deployment.restart_requested',
    ])
    const jobs = await env.DB.prepare(
      `select kind, status from jobs where deployment_id = ?1 order by created_at, rowid`,
    )
      .bind(dep.id)
      .all()
    expect(jobs.results).toEqual([
      { kind: 'deploy', status: 'done' },
      { kind: 'stop', status: 'done' },
      { kind: 'start', status: 'done' },
      { kind: 'restart', status: 'done' },
    ])
  })

  it('hands the VM’s SSH host key pinned by the deploy to every later job, never replaced', async () => {
    // Two ed25519 public keys (32 bytes of 1s, of 2s) as known_hosts holds them.
    const keys = [
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB',
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIC',
    ]
    const hostKey = (n: 1 | 2) => keys[n - 1]
    const { cookie, key, control } = await withRunner()
    const dep = await createDeployment(cookie)
    await playJob(
      key,
      await assigned(control, 1),
      DEPLOY_STEPS,
      'succeeded',
      {},
      {
        clone: { vmid: 4242 },
        wait_ssh: { ip: '127.77.0.10', hostKey: hostKey(1) },
      },
    )
    expect((await post(cookie, dep.id, 'restart')).status).toBe(200)
    // Whichever runner takes the next job learns the key from the checkpoint it resumes from;
    // a different key reported later (no runner of ours does) does not replace it.
    const restart = await assigned(control, 2)
    const welcome = await playJob(
      key,
      restart,
      ['warn_players', 'stop_vm', 'start', 'wait_ssh', 'verify'],
      'succeeded',
      {},
      { wait_ssh: { hostKey: hostKey(2) } },
    )
    expect(welcome).toMatchObject({ checkpoint: { vmid: 4242, hostKey: hostKey(1) } })
    expect((await post(cookie, dep.id, 'stop')).status).toBe(200)
    const stop = await playJob(key, await assigned(control, 3), ['warn_players', 'stop_vm'])
    expect(stop).toMatchObject({ checkpoint: { vmid: 4242, hostKey: hostKey(1) } })
  })

  it('refuses what the state does not allow, saying why, and changes nothing', async () => {
    const { cookie, key, control, dep } = await readyDeployment()
    expect(await refusal(await post(cookie, dep.id, 'start'))).toBe(
      'Refused: the game is already running.',
    )
    expect((await post(cookie, dep.id, 'stop')).status).toBe(200)
    // While stopping: no second stop, no start, no cancel, no destroy.
    expect(await refusal(await post(cookie, dep.id, 'stop'))).toContain('while stopping')
    expect(await refusal(await post(cookie, dep.id, 'start'))).toContain('while stopping')
    expect(await refusal(await post(cookie, dep.id, 'cancel'))).toContain('while stopping')
    expect(await refusal(await post(cookie, dep.id, 'destroy'))).toContain('while stopping')
    await playJob(key, await assigned(control, 2), ['warn_players', 'stop_vm'])
    expect(await refusal(await post(cookie, dep.id, 'stop'))).toBe(
      'Refused: the game is already stopped.',
    )
    expect(await refusal(await post(cookie, dep.id, 'restart'))).toBe(
      'Refused: the game is already stopped.',
    )
    // Destroy from stopped, then nothing but the record.
    expect((await post(cookie, dep.id, 'destroy')).status).toBe(200)
    expect(await refusal(await post(cookie, dep.id, 'start'))).toBe(
      'Refused: starting is not allowed while destroying.',
    )
    await playJob(key, await assigned(control, 3), ['stop_vm', 'delete_vm'])
    expect(await deploymentStatus(cookie, dep.id)).toBe('destroyed')
    for (const action of ['start', 'stop', 'restart', 'destroy', 'retry', 'cancel'])
      expect((await post(cookie, dep.id, action)).status).toBe(409)

    const queued = await createDeployment(cookie)
    expect(await refusal(await post(cookie, queued.id, 'stop'))).toBe(
      'Refused: stopping is not allowed while queued.',
    )
    expect((await post(cookie, 'no-such-deployment', 'start')).status).toBe(404)
  })

  it('a failed power job can be retried: the same kind runs again', async () => {
    const { cookie, key, control, dep } = await readyDeployment()
    await post(cookie, dep.id, 'stop')
    await playJob(key, await assigned(control, 2), [], 'failed', {
      error: { message: 'shutdown: VM 4242 - timeout waiting on systemd', step: 'stop_vm' },
    })
    const failed = await json<{ deployment: { status: string; error: { message: string } } }>(
      await call('GET', `/api/deployments/${dep.id}`, { cookie }),
    )
    expect(failed.deployment.status).toBe('failed')
    expect(failed.deployment.error.message).toContain('timeout waiting on systemd')
    expect((await post(cookie, dep.id, 'retry')).status).toBe(200)
    expect(await deploymentStatus(cookie, dep.id)).toBe('stopping')
    expect((await assigned(control, 3)).kind).toBe('stop')
  })
})

describe('live status', () => {
  it('tells the runner what to watch, shows its reports live, in the detail and in the list', async () => {
    const { cookie, key, control, dep } = await readyDeployment()
    const watch = await control.until('a watch frame with the deployment', () =>
      control
        .frames<Frame & { targets: { deploymentId: string }[] }>()
        .find((f) => f.type === 'watch' && f.targets.some((t) => t.deploymentId === dep.id)),
    )
    expect(watch).toMatchObject({
      statusIntervalMs: expect.any(Number),
      targets: [
        {
          deploymentId: dep.id,
          vmid: 4242,
          ipAddress: dep.ip,
          game: 'minecraft',
          // The game's check as plain data: the runner needs no game module, nor the config.
          check: { kind: 'minecraft-slp', port: 25_565, expect: expect.any(Object) },
        },
      ],
    })
    expect(watch.targets[0]).not.toHaveProperty('gameConfig')
    const viewer = track(await openSocket(`/api/deployments/${dep.id}/events`, { cookie }))
    await viewer.frame('state')

    const live = {
      checkedAt: Date.now(),
      power: 'running',
      game: { online: true, latencyMs: 3, version: '1.21.5', players: { online: 4, max: 20 } },
    }
    control.send({ type: 'status.report', statuses: [{ deploymentId: dep.id, status: live }] })
    expect(await viewer.frame<{ live: unknown }>('live')).toMatchObject({ live })
    const detail = await json<{ deployment: { live: unknown } }>(
      await call('GET', `/api/deployments/${dep.id}`, { cookie }),
    )
    expect(detail.deployment.live).toEqual(live)
    const list = await json<{ deployments: { id: string; live: unknown }[] }>(
      await call('GET', '/api/deployments', { cookie }),
    )
    expect(list.deployments.find((d) => d.id === dep.id)?.live).toEqual(live)

    // Unreachable is shown as such; an older report never overwrites a newer one.
    const down = {
      checkedAt: live.checkedAt + 1_000,
      power: 'running',
      game: { online: false, error: 'connect ECONNREFUSED 127.77.0.10:25565' },
    }
    control.send({ type: 'status.report', statuses: [{ deploymentId: dep.id, status: down }] })
    await viewer.frame<{ live: { checkedAt: number } }>(
      'live',
      5_000,
      (f) => f.live.checkedAt === down.checkedAt,
    )
    control.send({ type: 'status.report', statuses: [{ deploymentId: dep.id, status: live }] })
    control.send({ type: 'status.report', statuses: [{ deploymentId: dep.id, status: down }] })
    await viewer.until('the replayed report', () =>
      viewer.frames<Frame>().filter((f) => f.type === 'live').length >= 3 ? true : undefined,
    )
    const latest = await json<{ deployment: { live: unknown } }>(
      await call('GET', `/api/deployments/${dep.id}`, { cookie }),
    )
    expect(latest.deployment.live).toEqual(down)

    // Destroyed: out of the watch list, and a late report is ignored.
    await post(cookie, dep.id, 'destroy')
    await playJob(key, await assigned(control, 2), ['stop_vm', 'delete_vm'])
    await control.until('a watch frame without the deployment', () =>
      control
        .frames<Frame & { targets: { deploymentId: string }[] }>()
        .filter((f) => f.type === 'watch')
        .at(-1)
        ?.targets.every((t) => t.deploymentId !== dep.id),
    )
    control.send({
      type: 'status.report',
      statuses: [{ deploymentId: dep.id, status: { ...live, checkedAt: Date.now() } }],
    })
    await new Promise((r) => setTimeout(r, 200))
    const gone = await json<{ deployment: { status: string; live: unknown } }>(
      await call('GET', `/api/deployments/${dep.id}`, { cookie }),
    )
    expect(gone.deployment).toMatchObject({ status: 'destroyed', live: null })
  })
})

describe('dashboard sockets', () => {
  it('are closed once their session ends: signing out stops the live stream', async () => {
    const { cookie, control, dep } = await readyDeployment()
    // A runner reports only on what it was given to watch.
    await control.until('a watch frame with the deployment', () =>
      control
        .frames<Frame & { targets: { deploymentId: string }[] }>()
        .find((f) => f.type === 'watch' && f.targets.some((t) => t.deploymentId === dep.id)),
    )
    const viewer = track(await openSocket(`/api/deployments/${dep.id}/events`, { cookie }))
    await viewer.frame('state')
    expect((await call('POST', '/api/auth/logout', { cookie })).status).toBeLessThan(300)
    control.send({
      type: 'status.report',
      statuses: [
        { deploymentId: dep.id, status: { checkedAt: Date.now(), power: 'running', game: null } },
      ],
    })
    const closed = await viewer.until('the socket closed', () => viewer.closed)
    expect(closed?.code).toBe(4401)
  })
})

describe('cleanup policy', () => {
  it('is saved from settings, validated field by field', async () => {
    const cookie = await setupAdmin()
    expect(await json(await call('GET', '/api/settings/cleanup', { cookie }))).toEqual({
      cleanup: { onFailure: 'keep', orphans: 'report' },
    })
    const bad = await call('PUT', '/api/settings/cleanup', {
      cookie,
      body: { onFailure: 'explode', orphans: 'report' },
    })
    expect(bad.status).toBe(400)
    expect(JSON.stringify(await json(bad))).toContain('onFailure')
    const ok = await call('PUT', '/api/settings/cleanup', {
      cookie,
      body: { onFailure: 'destroy', orphans: 'report' },
    })
    expect(await json(ok)).toEqual({ cleanup: { onFailure: 'destroy', orphans: 'report' } })
  })

  it('keeps the VM of a failed deploy by default; destroys it at once when the policy says so', async () => {
    const { cookie, key, control } = await withRunner()
    const kept = await createDeployment(cookie)
    await playJob(key, await assigned(control, 1), ['allocate', 'clone'], 'failed', {
      error: { message: 'provision failed', step: 'provision' },
    })
    expect(await deploymentStatus(cookie, kept.id)).toBe('failed')

    await call('PUT', '/api/settings/cleanup', {
      cookie,
      body: { onFailure: 'destroy', orphans: 'report' },
    })
    const dep = await createDeployment(cookie)
    await playJob(key, await assigned(control, 2), ['allocate', 'clone'], 'failed', {
      error: { message: 'provision failed', step: 'provision' },
    })
    expect(await deploymentStatus(cookie, dep.id)).toBe('destroying')
    const destroy = await assigned(control, 3)
    expect(destroy.kind).toBe('destroy')
    await playJob(key, destroy, ['stop_vm', 'delete_vm'])
    const after = await json<{ deployment: { status: string; error: { message: string } } }>(
      await call('GET', `/api/deployments/${dep.id}`, { cookie }),
    )
    // Destroyed, with the failure that caused it still on record.
    expect(after.deployment.status).toBe('destroyed')
    expect(after.deployment.error.message).toBe('provision failed')
    const audit = await env.DB.prepare(
      `select actor, action from audit_log where target = ?1 and action = 'deployment.auto_destroy'`,
    )
      .bind(dep.id)
      .all()
    expect(audit.results).toEqual([{ actor: 'system', action: 'deployment.auto_destroy' }])
    expect(await deploymentStatus(cookie, kept.id)).toBe('failed')
  })
})

describe('the orphan sweep', () => {
  async function sweepScene() {
    const ctx = await readyDeployment()
    // Another deployment, destroyed.
    const gone = await createDeployment(ctx.cookie)
    await playJob(ctx.key, await assigned(ctx.control, 2), DEPLOY_STEPS)
    await post(ctx.cookie, gone.id, 'destroy')
    await playJob(ctx.key, await assigned(ctx.control, 3), ['stop_vm', 'delete_vm'])
    // Sweeps are asked of the first runner (this one).
    await ctx.control.until('a watch frame that asks for sweeps', () =>
      ctx.control
        .frames<Frame & { sweepIntervalMs: number }>()
        .find((f) => f.type === 'watch' && f.sweepIntervalMs > 0),
    )
    ctx.control.send({
      type: 'sweep.report',
      at: Date.now(),
      vms: [
        { vmid: 4242, name: 'gs-survival', status: 'running', deploymentId: ctx.dep.id },
        { vmid: 4243, name: 'gs-copy', status: 'stopped', deploymentId: ctx.dep.id },
        { vmid: 4300, name: 'gs-old', status: 'running', deploymentId: gone.id },
        { vmid: 4301, name: null, status: 'stopped', deploymentId: 'not-a-deployment-here' },
      ],
    })
    await orphansUntil(ctx.cookie, (vmids) => vmids.length === 3)
    return { ...ctx, gone }
  }

  /** Poll the orphan list (bounded) until `test` holds over its vmids. */
  async function orphansUntil(cookie: string, test: (vmids: number[]) => boolean) {
    let vmids: number[] = []
    for (let i = 0; i < 100; i++) {
      const list = await json<{ orphans: { vmid: number }[] }>(
        await call('GET', '/api/orphans', { cookie }),
      )
      vmids = list.orphans.map((o) => o.vmid)
      if (test(vmids)) return vmids
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error(`orphans never matched; last ${JSON.stringify(vmids)}`)
  }

  it('reports VMs no live deployment owns, with the reason, and destroys one on request', async () => {
    const { cookie, control, gone } = await sweepScene()
    const list = await json<{
      orphans: { vmid: number; reason: string; deploymentName: string | null }[]
      sweptAt: number
      sweepIntervalMs: number
    }>(await call('GET', '/api/orphans', { cookie }))
    expect(list.orphans.map((o) => [o.vmid, o.reason])).toEqual([
      [4243, 'duplicate_vm'],
      [4300, 'deployment_destroyed'],
      [4301, 'unknown_deployment'],
    ])
    expect(list.orphans[1]?.deploymentName).toBe('survival')
    expect(list).toMatchObject({ sweptAt: expect.any(Number), sweepIntervalMs: 600_000 })

    const destroying = call('POST', '/api/orphans/4300/destroy', { cookie })
    const request = await control.frame<Frame & { requestId: string; vmid: number }>('vm.destroy')
    expect(request).toMatchObject({ vmid: 4300, deploymentId: gone.id })
    control.send({
      type: 'vm.destroy.result',
      requestId: request.requestId,
      ok: true,
      message: 'VM 4300 destroyed',
    })
    const res = await destroying
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({ ok: true, message: 'VM 4300 destroyed' })
    const after = await json<{ orphans: { vmid: number }[] }>(
      await call('GET', '/api/orphans', { cookie }),
    )
    expect(after.orphans.map((o) => o.vmid)).toEqual([4243, 4301])

    const failing = call('POST', '/api/orphans/4301/destroy', { cookie })
    const second = await control.frame<Frame & { requestId: string }>(
      'vm.destroy',
      5_000,
      (f) => f.vmid === 4301,
    )
    control.send({
      type: 'vm.destroy.result',
      requestId: second.requestId,
      ok: false,
      message: 'VM 4301 now names deployment x, not none; refusing to destroy it',
    })
    const refused = await failing
    expect(refused.status).toBe(409)
    expect(await json(refused)).toMatchObject({
      error: { code: 'destroy_failed', message: expect.stringContaining('refusing') },
    })
    const notOrphan = await call('POST', '/api/orphans/4242/destroy', { cookie })
    expect(notOrphan.status).toBe(404)
    expect((await call('POST', '/api/orphans/abc/destroy', { cookie })).status).toBe(400)
    const audit = await env.DB.prepare(
      `select target from audit_log where action = 'orphan.destroy_requested' order by id`,
    ).all()
    expect(audit.results.map((r) => r.target)).toEqual(['4300', '4301', '4242'])
  })

  it('destroys orphans on its own only when the policy says so', async () => {
    const { cookie, control } = await sweepScene()
    await new Promise((r) => setTimeout(r, 300))
    expect(control.frames<Frame>().filter((f) => f.type === 'vm.destroy')).toEqual([])
    await call('PUT', '/api/settings/cleanup', {
      cookie,
      body: { onFailure: 'keep', orphans: 'destroy' },
    })
    control.send({
      type: 'sweep.report',
      at: Date.now(),
      vms: [{ vmid: 4301, name: null, status: 'stopped', deploymentId: 'not-a-deployment-here' }],
    })
    const request = await control.frame<Frame & { requestId: string; vmid: number }>('vm.destroy')
    expect(request.vmid).toBe(4301)
    control.send({
      type: 'vm.destroy.result',
      requestId: request.requestId,
      ok: true,
      message: 'VM 4301 destroyed',
    })
    await orphansUntil(cookie, (vmids) => !vmids.includes(4301))
    const audit = await env.DB.prepare(
      `select actor from audit_log where action = 'orphan.auto_destroyed' and target = '4301'`,
    ).all()
    expect(audit.results).toEqual([{ actor: 'system' }])
  })
})

describe('sensitive game fields', () => {
  it('keeps a Valheim password out of the API and out of D1, and gives it to the runner to redact', async () => {
    const { cookie, control } = await withRunner()
    const password = 'hunter2-secret'
    const res = await call('POST', '/api/deployments', {
      cookie,
      body: {
        name: 'vikings',
        game: 'valheim',
        config: { serverName: 'Vikings', worldName: 'Midgard', password },
      },
    })
    expect(res.status).toBe(201)
    const created = await json<{ deployment: { id: string; config: Record<string, unknown> } }>(res)
    expect(created.deployment.config.password).toBe('********')
    const row = await env.DB.prepare('select inputs_json from deployments where id = ?1')
      .bind(created.deployment.id)
      .first<{ inputs_json: string }>()
    expect(row?.inputs_json).not.toContain(password)
    const detail = await call('GET', `/api/deployments/${created.deployment.id}`, { cookie })
    expect(await detail.text()).not.toContain(password)
    const job = await assigned(control, 1)
    expect(job.spec.gameConfig.password).toBe(password)
    expect(job.secrets).toContain(password)
  })
})
