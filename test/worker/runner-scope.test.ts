import { env, evictDurableObject } from 'cloudflare:test'
import { DEPLOY_STEPS } from '../../core/protocol'
import { describe, expect, it } from 'vitest'
import { call, json, setupAdmin } from './helpers'
import {
  PROXMOX,
  configureProxmox,
  connectJob,
  connectRunner,
  createDeployment,
  deploymentStatus,
  nthAssign,
  registerRunner,
  useSockets,
  type TestSocket,
} from './engine-helpers'

/**
 * What a runner key is worth: the Proxmox token goes to a runner only with work that needs it,
 * and a runner may report only on what it was given (its watch list, the sweep it was asked for,
 * the request it was sent).
 */

const track = useSockets()
type Frame = { type: string; [k: string]: unknown }
type Watch = Frame & {
  proxmox: { tokenSecret: string } | null
  sweepIntervalMs: number
  targets: { deploymentId: string }[]
}

const watches = (s: TestSocket) => s.frames<Watch>().filter((f) => f.type === 'watch')
const holdingSecret = (s: TestSocket) => s.messages.filter((m) => m.includes(PROXMOX.tokenSecret))
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Play a whole job on its socket: every step running then done, then success. */
async function playJob(key: string, jobId: string, steps: readonly string[]) {
  const { ws } = await connectJob(key, jobId)
  track(ws)
  for (const step of steps) {
    ws.send({ type: 'step', jobId, step, status: 'running', at: Date.now() })
    const checkpoint = step === 'clone' ? { vmid: 4242 } : undefined
    ws.send({ type: 'step', jobId, step, status: 'done', at: Date.now(), checkpoint })
  }
  ws.send({ type: 'job.done', jobId, outcome: 'succeeded' })
  await ws.until('close', () => ws.closed)
}

/**
 * Two registered runners, `low` and `high` by id: the hub asks the lowest id online to sweep,
 * so `low` sweeps and `high` is never given anything it did not run.
 */
async function twoRunners() {
  const cookie = await setupAdmin()
  await configureProxmox(cookie)
  const [a, b] = [
    await registerRunner(cookie, 'runner-a'),
    await registerRunner(cookie, 'runner-b'),
  ]
  const [low, high] = a.runnerId < b.runnerId ? [a, b] : [b, a]
  return { cookie, low, high }
}

/** `low` online alone, a deployment it took to `ready`, then `high` online. */
async function readyOnLow() {
  const ctx = await twoRunners()
  const lowWs = track(await connectRunner(ctx.low.key))
  const dep = await createDeployment(ctx.cookie)
  const { job } = await nthAssign(lowWs, 1)
  await playJob(ctx.low.key, job.jobId, DEPLOY_STEPS)
  expect(await deploymentStatus(ctx.cookie, dep.id)).toBe('ready')
  await lowWs.until('a watch frame with the deployment', () =>
    watches(lowWs).find((f) => f.targets.some((t) => t.deploymentId === dep.id)),
  )
  const before = watches(lowWs).length
  const highWs = track(await connectRunner(ctx.high.key))
  // The round of high's hello is over once low (busy: it sweeps) got its list again.
  await lowWs.until('the round after high said hello', () => watches(lowWs).length > before)
  return { ...ctx, dep, lowWs, highWs }
}

const live = (checkedAt: number, power: string) => ({ checkedAt, power, game: null })

async function liveOf(cookie: string, id: string) {
  const res = await call('GET', `/api/deployments/${id}`, { cookie })
  return (await json<{ deployment: { live: { power: string } | null } }>(res)).deployment.live
}

describe('the Proxmox token on the control socket', () => {
  it('never reaches a runner that only said hello; the sweeping runner gets it with its sweep', async () => {
    const { low, high } = await twoRunners()
    const lowWs = track(await connectRunner(low.key))
    await lowWs.until('the sweep assignment', () => watches(lowWs)[0])
    const highWs = track(await connectRunner(high.key))
    await lowWs.until('the round after high said hello', () => watches(lowWs).length >= 2)
    await pause(100)
    expect(highWs.frames().map((f) => f.type)).toEqual(['welcome'])
    expect(holdingSecret(highWs)).toEqual([])
    // low holds it because it sweeps, and only in the frames that ask it to.
    const lowSecret = holdingSecret(lowWs).map((m) => JSON.parse(m) as Watch)
    expect(lowSecret.length).toBeGreaterThan(0)
    for (const f of lowSecret) expect(f).toMatchObject({ type: 'watch', targets: [] })
    for (const f of lowSecret) expect(f.sweepIntervalMs).toBeGreaterThan(0)
  })

  it('still never reaches it once deployments are ready on another runner', async () => {
    const { highWs } = await readyOnLow()
    await pause(700)
    expect(holdingSecret(highWs)).toEqual([])
  })

  it('is taken back from a runner whose list empties: an empty list comes without it', async () => {
    // high alone first: it sweeps, then runs the deployment; low then takes the sweep over.
    const { cookie, low, high } = await twoRunners()
    const highWs = track(await connectRunner(high.key))
    const dep = await createDeployment(cookie)
    await playJob(high.key, (await nthAssign(highWs, 1)).job.jobId, DEPLOY_STEPS)
    const lowWs = track(await connectRunner(low.key))
    await highWs.until('its list with the deployment and no sweep', () =>
      watches(highWs).find((f) => f.targets.length === 1 && f.sweepIntervalMs === 0),
    )
    expect((await call('POST', `/api/deployments/${dep.id}/destroy`, { cookie })).status).toBe(200)
    type Assign = Frame & { job: { jobId: string; kind: string } }
    const destroyOn = (ws: TestSocket) =>
      ws.frames<Assign>().find((f) => f.type === 'job.assign' && f.job.kind === 'destroy')
    // Either runner may take the destroy job.
    const holder = await highWs.until('the destroy job on either runner', () => {
      if (destroyOn(highWs)) return { ws: highWs, key: high.key }
      if (destroyOn(lowWs)) return { ws: lowWs, key: low.key }
      return undefined
    })
    const destroy = destroyOn(holder.ws)
    await playJob(holder.key, destroy?.job.jobId ?? '', ['stop_vm', 'delete_vm'])
    const last = await highWs.until('an empty list', () => {
      const f = watches(highWs).at(-1)
      return f && f.targets.length === 0 ? f : undefined
    })
    expect(last).toMatchObject({ proxmox: null, sweepIntervalMs: 0, targets: [] })
  })
})

describe('reports from runners', () => {
  it('refuses a status report for a deployment not on the runner’s watch list, and stores none of it', async () => {
    const { cookie, dep, lowWs, highWs } = await readyOnLow()
    highWs.send({
      type: 'status.report',
      statuses: [{ deploymentId: dep.id, status: live(Date.now() + 60_000, 'stopped') }],
    })
    await pause(300)
    expect(await liveOf(cookie, dep.id)).toBeNull()
    expect(highWs.closed).toBeNull()
    // The runner that watches it is heard.
    lowWs.send({
      type: 'status.report',
      statuses: [{ deploymentId: dep.id, status: live(Date.now(), 'running') }],
    })
    for (let i = 0; i < 50 && (await liveOf(cookie, dep.id)) === null; i++) await pause(50)
    expect((await liveOf(cookie, dep.id))?.power).toBe('running')
  })

  it('judges reports by the lists it gave, even after the hub is evicted', async () => {
    const { cookie, dep, lowWs, highWs } = await readyOnLow()
    await evictDurableObject(env.RUNNER_HUB.get(env.RUNNER_HUB.idFromName('hub')))
    const report = (power: string) => ({
      type: 'status.report',
      statuses: [{ deploymentId: dep.id, status: live(Date.now(), power) }],
    })
    highWs.send(report('stopped'))
    await pause(300)
    expect(await liveOf(cookie, dep.id)).toBeNull()
    lowWs.send(report('running'))
    for (let i = 0; i < 50 && (await liveOf(cookie, dep.id)) === null; i++) await pause(50)
    expect((await liveOf(cookie, dep.id))?.power).toBe('running')
  })

  it('refuses a sweep report from a runner that was not asked to sweep', async () => {
    const { cookie, dep, lowWs, highWs } = await readyOnLow()
    const orphan = { vmid: 4300, name: 'gs-x', status: 'running', deploymentId: 'not-here' }
    highWs.send({ type: 'sweep.report', at: Date.now(), vms: [orphan] })
    await pause(300)
    const none = await json<{ orphans: unknown[]; sweptAt: number | null }>(
      await call('GET', '/api/orphans', { cookie }),
    )
    expect(none).toMatchObject({ orphans: [], sweptAt: null })
    lowWs.send({
      type: 'sweep.report',
      at: Date.now(),
      vms: [orphan, { vmid: 4242, name: 'gs-y', status: 'running', deploymentId: dep.id }],
    })
    let vmids: number[] = []
    for (let i = 0; i < 50 && vmids.length === 0; i++) {
      await pause(50)
      const list = await json<{ orphans: { vmid: number }[] }>(
        await call('GET', '/api/orphans', { cookie }),
      )
      vmids = list.orphans.map((o) => o.vmid)
    }
    expect(vmids).toEqual([4300])
  })

  it('ignores an answer to a request that was sent to another runner', async () => {
    const { cookie, lowWs, highWs } = await readyOnLow()
    const orphan = { vmid: 4300, name: 'gs-x', status: 'running', deploymentId: 'not-here' }
    lowWs.send({ type: 'sweep.report', at: Date.now(), vms: [orphan] })
    for (let i = 0; i < 50; i++) {
      const list = await json<{ orphans: unknown[] }>(await call('GET', '/api/orphans', { cookie }))
      if (list.orphans.length > 0) break
      await pause(50)
    }
    const destroying = call('POST', '/api/orphans/4300/destroy', { cookie })
    const request = await lowWs.frame<Frame & { requestId: string }>('vm.destroy')
    highWs.send({
      type: 'vm.destroy.result',
      requestId: request.requestId,
      ok: false,
      message: 'forged by another runner',
    })
    await pause(200)
    lowWs.send({
      type: 'vm.destroy.result',
      requestId: request.requestId,
      ok: true,
      message: 'VM 4300 destroyed',
    })
    const res = await destroying
    expect(await json(res)).toEqual({ ok: true, message: 'VM 4300 destroyed' })
  })
})

describe('revoking a runner', () => {
  it('says to replace the Proxmox token it may have held, with the pveum commands', async () => {
    const cookie = await setupAdmin()
    await configureProxmox(cookie)
    const { runnerId } = await registerRunner(cookie)
    const res = await call('DELETE', `/api/runners/${runnerId}`, { cookie })
    expect(res.status).toBe(200)
    const body = await json<{ ok: boolean; rotateToken: { tokenId: string; commands: string[] } }>(
      res,
    )
    expect(body.rotateToken.tokenId).toBe('deployer@pve!pgd')
    expect(body.rotateToken.commands).toEqual([
      'pveum user token remove deployer@pve pgd',
      'pveum user token add deployer@pve pgd --privsep 1',
      "pveum acl modify /vms --tokens 'deployer@pve!pgd' --roles PGDVMs",
      "pveum acl modify /vms/9000 --tokens 'deployer@pve!pgd' --roles PGDTemplate",
      "pveum acl modify /storage/local-lvm --tokens 'deployer@pve!pgd' --roles PGDStorage",
      "pveum acl modify /storage/local --tokens 'deployer@pve!pgd' --roles PGDStorage",
      "pveum acl modify /sdn/zones/localnetwork/vmbr0 --tokens 'deployer@pve!pgd' --roles PGDNetwork",
    ])
    expect(JSON.stringify(body)).not.toContain(PROXMOX.tokenSecret)
  })

  it('has nothing to rotate before Proxmox is configured', async () => {
    const cookie = await setupAdmin()
    const { runnerId } = await registerRunner(cookie)
    const res = await call('DELETE', `/api/runners/${runnerId}`, { cookie })
    expect(await json(res)).toEqual({ ok: true, rotateToken: null })
  })
})
