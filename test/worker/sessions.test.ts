import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import {
  configureProxmox,
  connectJob,
  createDeployment,
  logLines,
  nthAssign,
  openSocket,
  useSockets,
  withRunner,
  type TestSocket,
} from './engine-helpers'
import { ADMIN, call, env, json, ORIGIN, sessionCookie, setupAdmin } from './helpers'

const track = useSockets()
const HOUR = 60 * 60_000

/** A deployment whose job is on a runner's job socket, and a dashboard watching it. */
async function watching() {
  const { cookie, key, control } = await withRunner(track)
  const dep = await createDeployment(cookie)
  const { job } = await nthAssign(control, 1)
  const { ws: runner } = await connectJob(key, job.jobId)
  track(runner)
  const viewer = track(await openSocket(`/api/deployments/${dep.id}/events`, { cookie }))
  await viewer.frame('state')
  return { cookie, dep, job, runner, viewer }
}

const seqs = (s: TestSocket) =>
  s.frames<{ lines?: { seq: number }[] }>().flatMap((f) => f.lines?.map((l) => l.seq) ?? [])

describe('live sockets and the session', () => {
  it('closes a dashboard socket at sign-out, before any state change, and sends it no more lines', async () => {
    const { cookie, job, runner, viewer } = await watching()
    runner.send({ type: 'logs', jobId: job.jobId, lines: logLines(1, 5) })
    await viewer.until('lines 1-5', () => seqs(viewer).length === 5)
    expect((await call('POST', '/api/auth/logout', { cookie })).status).toBe(200)
    // Closed by the sign-out itself: no state frame, no log line was needed to notice.
    const closed = await viewer.until('the socket closed', () => viewer.closed, 2_000)
    expect(closed?.code).toBe(4401)
    runner.send({ type: 'logs', jobId: job.jobId, lines: logLines(6, 5) })
    await runner.frame('logs.ack', 5_000, (f: { seq: number }) => f.seq === 10)
    expect(seqs(viewer)).toEqual([1, 2, 3, 4, 5])
  })

  it('closes the sockets of the session a new sign-in replaces', async () => {
    const { cookie, viewer } = await watching()
    const res = await call('POST', '/api/auth/login', { body: ADMIN, cookie })
    expect(res.status).toBe(200)
    const closed = await viewer.until('the socket closed', () => viewer.closed, 2_000)
    expect(closed?.code).toBe(4401)
  })

  it('sends no line to a socket whose session has expired since it opened', async () => {
    const { cookie, key, control } = await withRunner(track)
    const dep = await createDeployment(cookie)
    const { job } = await nthAssign(control, 1)
    const { ws: runner } = await connectJob(key, job.jobId)
    track(runner)
    // The session ends in a moment: after the socket opened, before the next line.
    await env.DB.prepare('update sessions set expires_at = ?1')
      .bind(Date.now() + 400)
      .run()
    const viewer = track(await openSocket(`/api/deployments/${dep.id}/events`, { cookie }))
    await viewer.frame('state')
    await new Promise((r) => setTimeout(r, 500))
    runner.send({ type: 'logs', jobId: job.jobId, lines: logLines(1, 5) })
    await runner.frame('logs.ack', 5_000, (f: { seq: number }) => f.seq === 5)
    const closed = await viewer.until('the socket closed', () => viewer.closed, 2_000)
    expect(closed?.code).toBe(4401)
    expect(seqs(viewer)).toEqual([])
  })

  it('closes a socket whose session went idle, at the next frame it would get', async () => {
    const { job, runner, viewer } = await watching()
    await env.DB.prepare('update sessions set last_seen_at = ?1')
      .bind(Date.now() - 13 * HOUR)
      .run()
    runner.send({ type: 'logs', jobId: job.jobId, lines: logLines(1, 5) })
    const closed = await viewer.until('the socket closed', () => viewer.closed, 2_000)
    expect(closed?.code).toBe(4401)
  })

  it('refuses a websocket from another origin with 403, even with the admin’s cookie', async () => {
    const cookie = await setupAdmin()
    await configureProxmox(cookie)
    const dep = await createDeployment(cookie)
    const res = await exports.default.fetch(
      new Request(`${ORIGIN}/api/deployments/${dep.id}/events`, {
        headers: { upgrade: 'websocket', cookie, origin: 'https://evil.example' },
      }),
    )
    expect(res.status).toBe(403)
    expect(res.webSocket).toBeNull()
    expect(await json(res)).toMatchObject({ error: { code: 'cross_origin_refused' } })
    // The dashboard's own page is let in.
    const own = await openSocket(`/api/deployments/${dep.id}/events`, { cookie, origin: ORIGIN })
    track(own)
    await own.frame('state')
  })
})

describe('session lifetime', () => {
  it('ends a session after 12 hours without a request, well before its 7 days', async () => {
    const cookie = await setupAdmin()
    await env.DB.prepare('update sessions set last_seen_at = ?1')
      .bind(Date.now() - 12 * HOUR - 1_000)
      .run()
    const res = await call('GET', '/api/auth/me', { cookie })
    expect(res.status).toBe(401)
  })

  it('slides: a request after 11 idle hours keeps the session going for another 12', async () => {
    const cookie = await setupAdmin()
    await env.DB.prepare('update sessions set last_seen_at = ?1')
      .bind(Date.now() - 11 * HOUR)
      .run()
    expect((await call('GET', '/api/auth/me', { cookie })).status).toBe(200)
    const row = await env.DB.prepare('select last_seen_at as seen from sessions').first<{
      seen: number
    }>()
    expect(Date.now() - (row?.seen ?? 0)).toBeLessThan(60_000)
    await env.DB.prepare('update sessions set last_seen_at = last_seen_at - ?1')
      .bind(2 * HOUR)
      .run()
    expect((await call('GET', '/api/auth/me', { cookie })).status).toBe(200)
  })

  it('uses a __Host- cookie over https, which the plain name cannot stand in for', async () => {
    await setupAdmin()
    const https = (path: string, init: RequestInit = {}) =>
      exports.default.fetch(new Request(`https://dash.example${path}`, init))
    const res = await https('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://dash.example' },
      body: JSON.stringify(ADMIN),
    })
    expect(res.status).toBe(200)
    const setCookie = res.headers.get('set-cookie') ?? ''
    expect(setCookie).toMatch(/^__Host-session_id=[A-Za-z0-9_-]{40,};/)
    expect(setCookie).toMatch(/;\s*Secure/i)
    expect(setCookie).toMatch(/;\s*Path=\/(;|$)/i)
    expect(setCookie).not.toMatch(/Domain=/i)
    const token = /__Host-session_id=([^;]+)/.exec(setCookie)?.[1] ?? ''
    expect(
      (await https('/api/auth/me', { headers: { cookie: `__Host-session_id=${token}` } })).status,
    ).toBe(200)
    // A cookie without the prefix (as a sibling subdomain could plant) is not read over https.
    expect(
      (await https('/api/auth/me', { headers: { cookie: `session_id=${token}` } })).status,
    ).toBe(401)
  })

  it('keeps the plain session_id cookie over http, for npm start on localhost', async () => {
    const cookie = await setupAdmin()
    expect(cookie).toMatch(/^session_id=/)
    const me = await call('GET', '/api/auth/me', { cookie })
    expect(me.status).toBe(200)
    expect(sessionCookie(await call('POST', '/api/auth/login', { body: ADMIN }))).toMatch(
      /^session_id=/,
    )
  })
})
