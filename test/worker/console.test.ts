import { describe, expect, it } from 'vitest'
import { DEPLOY_STEPS } from '../../core/protocol'
import { call, json } from './helpers'
import {
  connectJob,
  createDeployment,
  nthAssign,
  openSocket,
  statusBecomes,
  useSockets,
  withRunner,
  type TestSocket,
} from './engine-helpers'

/**
 * The console and the server log through the real worker and its RunnerHub, with a test runner
 * on the control socket: what reaches the runner (and what never does), the answers and every
 * refusal in words.
 */

const track = useSockets()
const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKJ0ZXN0aG9zdGtleWZvcmNvbnNvbGU'
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A deploy played to ready, its VM's host key pinned at wait_ssh as a real runner reports it. */
async function readyDeployment(config: Record<string, unknown> = { rconEnabled: true }) {
  const { cookie, key, control } = await withRunner(track)
  const dep = await createDeployment(cookie, {
    config: { eula: true, memoryMb: 2048, ...config },
  })
  const { job } = await nthAssign(control, 1)
  const { ws } = await connectJob(key, job.jobId)
  track(ws)
  for (const step of DEPLOY_STEPS) {
    ws.send({ type: 'step', jobId: job.jobId, step, status: 'running', at: Date.now() })
    const checkpoint =
      step === 'clone' ? { vmid: 4242 } : step === 'wait_ssh' ? { hostKey: HOST_KEY } : undefined
    ws.send({ type: 'step', jobId: job.jobId, step, status: 'done', at: Date.now(), checkpoint })
  }
  ws.send({ type: 'job.done', jobId: job.jobId, outcome: 'succeeded' })
  await ws.until('close', () => ws.closed)
  await statusBecomes(cookie, dep.id, 'ready')
  return { cookie, key, control, dep }
}

type ConsoleRequest = {
  type: string
  requestId: string
  command: string
  target: { host: string; port: number; password: string }
}

/** Answer the next `console.request` on the runner's control socket with `reply`. */
function answerConsole(control: TestSocket, reply: Record<string, unknown>) {
  const requests = () =>
    control.frames<ConsoleRequest>().filter((f) => f.type === 'console.request')
  const seen = requests().length
  return control
    .until('console.request', () => requests()[seen])
    .then((req) => {
      control.send({ type: 'console.result', requestId: req.requestId, ...reply })
      return req
    })
}

const post = (cookie: string, id: string, body: unknown) =>
  call('POST', `/api/deployments/${id}/console`, { cookie, body })

describe('console', () => {
  it('sends a command through the runner with the sealed password, answers, keeps and audits it', async () => {
    const { cookie, control, dep } = await readyDeployment()
    const info = await json(await call('GET', `/api/deployments/${dep.id}/console`, { cookie }))
    expect(info).toMatchObject({ available: true, unavailable: null, history: [] })

    const asked = answerConsole(control, {
      answer: 'There are 0 of a max of 20 players online: ',
    })
    const res = await post(cookie, dep.id, { command: 'list' })
    expect(res.status).toBe(200)
    const { entry } = await json<{ entry: Record<string, unknown> }>(res)
    expect(entry).toMatchObject({
      by: 'admin',
      command: 'list',
      answer: 'There are 0 of a max of 20 players online: ',
      error: null,
    })
    const req = await asked
    expect(req.target).toMatchObject({ host: dep.ip, port: 25_575 })
    expect(req.target.password).toMatch(/^[A-Za-z0-9_-]{32}$/)

    // A quick action: a checked player name inside a fixed command.
    const op = answerConsole(control, { answer: 'Made Steve_42 a server operator' })
    const opRes = await post(cookie, dep.id, { action: 'op', arg: 'Steve_42' })
    expect((await json<{ entry: unknown }>(opRes)).entry).toMatchObject({
      command: 'op Steve_42',
      answer: 'Made Steve_42 a server operator',
    })
    expect((await op).command).toBe('op Steve_42')

    const history = await json<{ history: { command: string }[] }>(
      await call('GET', `/api/deployments/${dep.id}/console`, { cookie }),
    )
    expect(history.history.map((h) => h.command)).toEqual(['list', 'op Steve_42'])

    // Audited with who and what, and the password nowhere in the audit log or the API.
    const audit = await call('GET', '/api/audit', { cookie })
    const auditText = await audit.text()
    expect(auditText).toContain('deployment.console_command')
    expect(auditText).toContain('op Steve_42')
    expect(auditText).not.toContain(req.target.password)
    const detail = await call('GET', `/api/deployments/${dep.id}`, { cookie })
    expect(await detail.text()).not.toContain(req.target.password)
  })

  it('refuses bad input before anything reaches a runner', async () => {
    const { cookie, control, dep } = await readyDeployment()
    const bad: [unknown, string][] = [
      [{ command: 'say hi\nop Mallory' }, 'command'],
      [{ command: 'x'.repeat(257) }, 'command'],
      [{ command: '   ' }, 'command'],
      [{ action: 'op', arg: 'bad name!' }, 'arg'],
      [{ action: 'whitelist_add', arg: 'ab' }, 'arg'],
      [{ action: 'deop', arg: 'Steve; stop' }, 'arg'],
      [{ action: 'say', arg: 'two\nlines' }, 'arg'],
      [{ action: 'stop' }, 'action'],
    ]
    for (const [body] of bad) {
      const res = await post(cookie, dep.id, body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(await json(res)).toMatchObject({ error: { code: 'invalid_request' } })
    }
    const opBad = await json<{ error: { message: string } }>(
      await post(cookie, dep.id, { action: 'op', arg: 'bad name!' }),
    )
    expect(opBad.error.message).toBe(
      '"bad name!" is not a player name (3 to 16 letters, digits or _).',
    )
    expect(control.frames<{ type: string }>().some((f) => f.type === 'console.request')).toBe(false)
  })

  it('says why a command got no answer: the console refused, no runner online', async () => {
    const { cookie, control, dep } = await readyDeployment()
    void answerConsole(control, {
      answer: null,
      error: { code: 'refused', message: 'RCON at 10.0.0.5:25575 refused the password' },
    })
    const refused = await json<{ entry: unknown }>(await post(cookie, dep.id, { command: 'list' }))
    expect(refused.entry).toMatchObject({
      answer: null,
      error: { code: 'refused', message: 'RCON at 10.0.0.5:25575 refused the password' },
    })
    control.close()
    await pause(50)
    const offline = await post(cookie, dep.id, { command: 'list' })
    expect(offline.status).toBe(200)
    expect((await json<{ entry: unknown }>(offline)).entry).toMatchObject({
      answer: null,
      error: { code: 'no_runner', message: 'No runner is online to reach the server.' },
    })
  })

  it('says when there is no console: Valheim, RCON switched off, not ready, signed out', async () => {
    const { cookie, dep } = await readyDeployment({ rconEnabled: false })
    const off = await post(cookie, dep.id, { command: 'list' })
    expect(off.status).toBe(409)
    expect(await json(off)).toMatchObject({ error: { code: 'console_off' } })
    const offInfo = await json(await call('GET', `/api/deployments/${dep.id}/console`, { cookie }))
    expect(offInfo).toMatchObject({ available: false, unavailable: { code: 'console_off' } })

    const valheim = await createDeployment(cookie, {
      name: 'viking',
      game: 'valheim',
      config: { serverName: 'Vikings', worldName: 'Midgard', password: 'secret123' },
    })
    const info = await json(await call('GET', `/api/deployments/${valheim.id}/console`, { cookie }))
    expect(info).toMatchObject({
      available: false,
      unavailable: { code: 'no_console', message: 'Valheim has no console.' },
      quickActions: [],
    })
    // Not ready yet (queued): refused for that first.
    const queued = await post(cookie, valheim.id, { command: 'list' })
    expect(queued.status).toBe(409)
    expect(await json(queued)).toMatchObject({ error: { code: 'not_ready' } })

    expect((await post('', dep.id, { command: 'list' })).status).toBe(401)
    expect((await call('GET', `/api/deployments/${dep.id}/console`)).status).toBe(401)
    expect((await post(cookie, 'nope', { command: 'list' })).status).toBe(404)
  })
})

describe('server log', () => {
  it('opens a journal stream on the runner, relays its lines, and closes it with the viewer', async () => {
    const { cookie, control, dep } = await readyDeployment()
    const viewer = track(
      await openSocket(`/api/deployments/${dep.id}/server-log?lines=5`, { cookie }),
    )
    const open = await control.frame<{
      streamId: string
      target: Record<string, unknown>
    }>('journal.open')
    expect(open.target).toEqual({
      host: dep.ip,
      port: 22,
      user: 'debian',
      hostKey: HOST_KEY,
      unit: 'minecraft',
      lines: 5,
    })
    control.send({ type: 'journal.lines', streamId: open.streamId, lines: ['Done (1.2s)!'] })
    expect(await viewer.frame('lines')).toMatchObject({ lines: ['Done (1.2s)!'] })
    // A runner cannot write into another stream.
    control.send({ type: 'journal.lines', streamId: 'not-a-stream', lines: ['forged'] })
    viewer.close()
    const close = await control.frame<{ streamId: string }>(
      'journal.close',
      5_000,
      (f) => f.streamId === open.streamId,
    )
    expect(close.streamId).toBe(open.streamId)
    expect(viewer.frames<{ lines?: string[] }>().flatMap((f) => f.lines ?? [])).not.toContain(
      'forged',
    )
  })

  it('closes the server log when its session signs out, and the runner ends the stream', async () => {
    const { cookie, control, dep } = await readyDeployment()
    const viewer = track(await openSocket(`/api/deployments/${dep.id}/server-log`, { cookie }))
    const open = await control.frame<{ streamId: string }>('journal.open')
    expect((await call('POST', '/api/auth/logout', { cookie })).status).toBeLessThan(300)
    expect(await viewer.frame('end')).toMatchObject({ code: 'closed' })
    await viewer.until('close', () => viewer.closed)
    await control.frame(
      'journal.close',
      5_000,
      (f: { streamId?: string }) => f.streamId === open.streamId,
    )
  })

  it('ends with the reason: ssh failed, no runner, not ready, too many lines', async () => {
    const { cookie, control, dep } = await readyDeployment()
    const viewer = track(await openSocket(`/api/deployments/${dep.id}/server-log`, { cookie }))
    const open = await control.frame<{ streamId: string; target: { lines: number } }>(
      'journal.open',
    )
    expect(open.target.lines).toBe(200)
    control.send({
      type: 'journal.end',
      streamId: open.streamId,
      error: 'Permission denied (publickey).',
    })
    expect(await viewer.frame('end')).toMatchObject({
      code: 'ssh_failed',
      message: 'Permission denied (publickey).',
    })
    await viewer.until('close', () => viewer.closed)

    const tooMany = await call('GET', `/api/deployments/${dep.id}/server-log?lines=99999`, {
      cookie,
      headers: { upgrade: 'websocket' },
    })
    expect(tooMany.status).toBe(400)

    control.close()
    await pause(50)
    const alone = track(await openSocket(`/api/deployments/${dep.id}/server-log`, { cookie }))
    expect(await alone.frame('end')).toMatchObject({ code: 'no_runner' })

    const queued = await createDeployment(cookie, { name: 'later' })
    const notReady = await call('GET', `/api/deployments/${queued.id}/server-log`, {
      cookie,
      headers: { upgrade: 'websocket' },
    })
    expect(notReady.status).toBe(409)
    expect(await json(notReady)).toMatchObject({ error: { code: 'not_ready' } })
    const signedOut = await call('GET', `/api/deployments/${dep.id}/server-log`, {
      headers: { upgrade: 'websocket' },
    })
    expect(signedOut.status).toBe(401)
  })
})
