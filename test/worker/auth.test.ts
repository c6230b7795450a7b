import { describe, expect, it } from 'vitest'
import { ADMIN, call, env, json, sessionCookie, setupAdmin } from './helpers'

const login = (username: string, password: string, headers?: Record<string, string>) =>
  call('POST', '/api/auth/login', { body: { username, password }, headers })

describe('login', () => {
  it('signs in with the right password and sets a strict, HttpOnly session cookie', async () => {
    await setupAdmin()
    const res = await login('admin', ADMIN.password)
    expect(res.status).toBe(200)
    const setCookie = res.headers.get('set-cookie') ?? ''
    expect(setCookie).toMatch(/session_id=[A-Za-z0-9_-]{40,}/)
    expect(setCookie).toMatch(/HttpOnly/i)
    expect(setCookie).toMatch(/SameSite=Strict/i)
    // Served over plain http in this test, so no Secure flag (it would drop the cookie).
    expect(setCookie).not.toMatch(/Secure/i)
    const me = await call('GET', '/api/auth/me', { cookie: sessionCookie(res) })
    expect(me.status).toBe(200)
  })

  it('marks the cookie Secure when the dashboard is served over https', async () => {
    await setupAdmin()
    const { exports } = await import('cloudflare:workers')
    const res = await exports.default.fetch(
      new Request('https://dash.example/api/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'https://dash.example' },
        body: JSON.stringify(ADMIN),
      }),
    )
    expect(res.status).toBe(200)
    expect(res.headers.get('set-cookie')).toMatch(/;\s*Secure/i)
  })

  it('accepts the username in any case', async () => {
    await setupAdmin()
    expect((await login('ADMIN', ADMIN.password)).status).toBe(200)
  })

  it('refuses a wrong password with 401 and records the failure', async () => {
    await setupAdmin()
    const res = await login('admin', 'not the password at all')
    expect(res.status).toBe(401)
    expect(await json(res)).toMatchObject({ error: { code: 'invalid_credentials' } })
    expect(res.headers.get('set-cookie')).toBeNull()
    const row = await env.DB.prepare(
      `select actor, target, ip from audit_log where action = 'auth.login_failed'`,
    ).first()
    expect(row).toEqual({ actor: 'anonymous', target: 'admin', ip: '203.0.113.7' })
  })

  it('refuses an unknown user with the same answer as a wrong password', async () => {
    await setupAdmin()
    const res = await login('nobody', 'whatever password')
    expect(res.status).toBe(401)
    expect(await json(res)).toMatchObject({
      error: { code: 'invalid_credentials', message: 'Wrong username or password.' },
    })
  })

  it('rotates the session on login: the previous session stops working', async () => {
    const first = await setupAdmin()
    const res = await call('POST', '/api/auth/login', { body: ADMIN, cookie: first })
    const second = sessionCookie(res)
    expect(second).not.toBe(first)
    expect((await call('GET', '/api/auth/me', { cookie: first })).status).toBe(401)
    expect((await call('GET', '/api/auth/me', { cookie: second })).status).toBe(200)
  })

  it('stores only a hash of the session id, never the cookie value', async () => {
    const cookie = await setupAdmin()
    const token = cookie.split('=')[1] ?? ''
    const rows = await env.DB.prepare('select id from sessions').all<{ id: string }>()
    expect(rows.results.length).toBe(1)
    expect(rows.results[0]?.id).not.toBe(token)
    expect(rows.results[0]?.id).toMatch(/^[0-9a-f]{64}$/)
  })
})

describe('login throttling', () => {
  /** The test waits (vitest.config.ts): base, account cap, address cap. */
  const BASE_MS = 300
  const ACCOUNT_MAX_MS = 1200
  const failedChecks = async () =>
    (
      await env.DB.prepare(
        `select count(*) as n from audit_log where action = 'auth.login_failed'`,
      ).first<{ n: number }>()
    )?.n ?? 0
  const retryAfterMs = async (res: Response) =>
    (await json<{ error: { details: { retryAfterMs: number } } }>(res)).error.details.retryAfterMs
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

  it('checks at most a handful of 50 parallel wrong passwords; the rest get 429 unchecked', async () => {
    await setupAdmin()
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        // From 50 addresses: the account's throttle alone must hold.
        login('admin', `wrong password ${i}`, { 'cf-connecting-ip': `198.51.100.${i}` }),
      ),
    )
    const statuses = answers.map((r) => r.status)
    const checked = statuses.filter((s) => s === 401).length
    expect(checked).toBeGreaterThanOrEqual(1)
    expect(checked).toBeLessThanOrEqual(3)
    expect(statuses.filter((s) => s === 429).length).toBe(50 - checked)
    expect(await failedChecks()).toBe(checked)
    const refused = answers.find((r) => r.status === 429)
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(await json(refused ?? new Response('{}'))).toMatchObject({
      error: { code: 'too_many_attempts' },
    })
  })

  it('lets the real admin sign in once the short wait is over', async () => {
    await setupAdmin()
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        login('admin', 'wrong password', { 'cf-connecting-ip': `198.51.100.${i}` }),
      ),
    )
    // During the wait even the right password is not looked at.
    const early = await login('admin', ADMIN.password, { 'cf-connecting-ip': '192.0.2.1' })
    expect(early.status).toBe(429)
    const wait = await retryAfterMs(early)
    expect(wait).toBeLessThanOrEqual(ACCOUNT_MAX_MS)
    await sleep(wait + 50)
    const res = await login('admin', ADMIN.password, { 'cf-connecting-ip': '192.0.2.1' })
    expect(res.status).toBe(200)
    // A success forgets the failures: the next typo waits only the base delay.
    expect(
      (await login('admin', 'typo password', { 'cf-connecting-ip': '192.0.2.1' })).status,
    ).toBe(401)
    const next = await login('admin', ADMIN.password, { 'cf-connecting-ip': '192.0.2.1' })
    expect(next.status).toBe(429)
    expect(await retryAfterMs(next)).toBeLessThanOrEqual(BASE_MS)
  })

  it('doubles the wait with each failure, up to the account cap', async () => {
    await setupAdmin()
    const waits: number[] = []
    for (let i = 0; i < 4; i++) {
      const ip = { 'cf-connecting-ip': `198.51.100.${i}` }
      expect((await login('admin', 'wrong password', ip)).status).toBe(401)
      const refused = await login('admin', ADMIN.password, { 'cf-connecting-ip': '192.0.2.9' })
      expect(refused.status).toBe(429)
      const wait = await retryAfterMs(refused)
      waits.push(wait)
      await sleep(wait + 30)
    }
    // 300, 600, 1200, 1200 ms, less the few ms between the failure and the question.
    const expected = [BASE_MS, 2 * BASE_MS, ACCOUNT_MAX_MS, ACCOUNT_MAX_MS]
    waits.forEach((w, i) => {
      expect(w).toBeLessThanOrEqual(expected[i] ?? 0)
      expect(w).toBeGreaterThan((expected[i] ?? 0) - 150)
    })
  }, 15_000)

  it('throttles an address that fails on many accounts; another address is not affected', async () => {
    await setupAdmin()
    expect((await login('user0', 'wrong password')).status).toBe(401)
    // The address now waits, whatever the account.
    const refused = await login('user1', 'wrong password')
    expect(refused.status).toBe(429)
    expect((await login('admin', ADMIN.password)).status).toBe(429)
    const other = await login('admin', ADMIN.password, { 'cf-connecting-ip': '192.0.2.50' })
    expect(other.status).toBe(200)
    expect(await failedChecks()).toBe(1)
  })
})

describe('logout and expiry', () => {
  it('ends the session on logout: the cookie no longer works and the row is gone', async () => {
    const cookie = await setupAdmin()
    const res = await call('POST', '/api/auth/logout', { cookie })
    expect(res.status).toBe(200)
    expect(res.headers.get('set-cookie')).toMatch(/session_id=;/)
    expect((await call('GET', '/api/auth/me', { cookie })).status).toBe(401)
    const n = await env.DB.prepare('select count(*) as n from sessions').first<{ n: number }>()
    expect(n?.n).toBe(0)
    const audit = await env.DB.prepare(
      `select action from audit_log where action = 'auth.logout'`,
    ).all()
    expect(audit.results.length).toBe(1)
  })

  it('refuses an expired session with 401', async () => {
    const cookie = await setupAdmin()
    await env.DB.prepare('update sessions set expires_at = ?1')
      .bind(Date.now() - 1)
      .run()
    const res = await call('GET', '/api/auth/me', { cookie })
    expect(res.status).toBe(401)
    expect(await json(res)).toMatchObject({ error: { code: 'unauthorized' } })
  })

  it('refuses a forged session cookie', async () => {
    await setupAdmin()
    const res = await call('GET', '/api/auth/me', { cookie: 'session_id=forged-value-1234567890' })
    expect(res.status).toBe(401)
  })
})
