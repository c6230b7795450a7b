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
  it('answers 429 with Retry-After after five failures for one account, even with the right password', async () => {
    await setupAdmin()
    for (let i = 0; i < 5; i++) {
      // Different addresses: the account limit alone must trigger.
      const res = await login('admin', 'wrong password', { 'cf-connecting-ip': `198.51.100.${i}` })
      expect(res.status).toBe(401)
    }
    const res = await login('admin', ADMIN.password, { 'cf-connecting-ip': '198.51.100.99' })
    expect(res.status).toBe(429)
    const retryAfter = Number(res.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(60)
    expect(await json(res)).toMatchObject({ error: { code: 'too_many_attempts' } })
  })

  it('answers 429 after five failures from one address, whatever the account', async () => {
    await setupAdmin()
    for (let i = 0; i < 5; i++) {
      expect((await login(`user${i}`, 'wrong password')).status).toBe(401)
    }
    expect((await login('admin', ADMIN.password)).status).toBe(429)
    // Another address is not affected.
    const other = await login('admin', ADMIN.password, { 'cf-connecting-ip': '192.0.2.50' })
    expect(other.status).toBe(200)
  })

  it('lets the account sign in again once the failures are older than a minute', async () => {
    await setupAdmin()
    for (let i = 0; i < 5; i++) await login('admin', 'wrong password')
    expect((await login('admin', ADMIN.password)).status).toBe(429)
    await env.DB.prepare(
      `update audit_log set at = at - 61000 where action = 'auth.login_failed'`,
    ).run()
    expect((await login('admin', ADMIN.password)).status).toBe(200)
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
