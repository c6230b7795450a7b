import { describe, expect, it } from 'vitest'
import { app } from '../../worker/app'
import { PUBLIC_ROUTES, RUNNER_PREFIX } from '../../worker/http/authorize'
import { call, json, setupAdmin } from './helpers'

/** Every concrete API route in the app's route table, with path params filled in. */
function apiRoutes(): { method: string; path: string }[] {
  const seen = new Set<string>()
  const out: { method: string; path: string }[] = []
  for (const route of app.routes) {
    if (route.method === 'ALL' || !route.path.startsWith('/api/') || route.path.includes('*'))
      continue
    const path = route.path.replace(/:[A-Za-z]+(\{[^}]*\})?/g, 'x1')
    const key = `${route.method} ${path}`
    if (!seen.has(key)) {
      seen.add(key)
      out.push({ method: route.method, path })
    }
  }
  return out
}

describe('authentication on every route', () => {
  it('finds the routes it walks (the table is not empty)', () => {
    const routes = apiRoutes().map((r) => `${r.method} ${r.path}`)
    expect(routes).toEqual(
      expect.arrayContaining([
        'GET /api/health',
        'POST /api/auth/login',
        'PUT /api/settings/proxmox',
      ]),
    )
  })

  it('refuses every non-public route without a session cookie', async () => {
    await setupAdmin()
    const open: string[] = []
    for (const { method, path } of apiRoutes()) {
      if (PUBLIC_ROUTES.has(`${method} ${path}`)) continue
      const res = await call(method, path, method === 'GET' ? {} : { body: {} })
      const expected = path.startsWith(RUNNER_PREFIX) ? [401, 400] : [401]
      if (!expected.includes(res.status)) open.push(`${method} ${path} → ${res.status}`)
    }
    expect(open).toEqual([])
  })

  it('keeps the public list to health, setup, sign-in (password or passkey) and the invite links', () => {
    expect([...PUBLIC_ROUTES].sort()).toEqual([
      'GET /api/health',
      'GET /api/setup',
      'POST /api/auth/login',
      'POST /api/auth/passkey-login',
      'POST /api/auth/passkey-login/options',
      'POST /api/invites/accept',
      'POST /api/invites/check',
      'POST /api/setup',
    ])
  })
})

describe('CSRF', () => {
  it('refuses a state-changing request from a foreign Origin, even with a valid session', async () => {
    const cookie = await setupAdmin()
    const res = await call('POST', '/api/auth/logout', {
      cookie,
      headers: { origin: 'https://evil.example' },
    })
    expect(res.status).toBe(403)
    expect(await json(res)).toMatchObject({ error: { code: 'cross_origin_refused' } })
    // The session survived.
    expect((await call('GET', '/api/auth/me', { cookie })).status).toBe(200)
  })

  it('refuses a cross-site request marked by Sec-Fetch-Site without an Origin', async () => {
    const res = await call('POST', '/api/auth/login', {
      body: { username: 'a', password: 'b' },
      headers: { origin: '', 'sec-fetch-site': 'cross-site' },
    })
    expect(res.status).toBe(403)
  })
})

describe('bad input', () => {
  it('answers 400 naming the field when a body has the wrong type', async () => {
    const res = await call('POST', '/api/auth/login', { body: { username: 42, password: 'x' } })
    expect(res.status).toBe(400)
    const body = await json<{
      error: { code: string; message: string; details: { path: string }[] }
    }>(res)
    expect(body.error.code).toBe('invalid_request')
    expect(body.error.message).toMatch(/username/)
    expect(body.error.details.map((d) => d.path)).toContain('username')
  })

  it('answers 400 for a body that is not JSON', async () => {
    const res = await call('POST', '/api/auth/login', {
      rawBody: '{"username": "admin",',
      headers: { 'content-type': 'application/json' },
    })
    expect(res.status).toBe(400)
    expect(await json(res)).toMatchObject({
      error: { code: 'invalid_request', message: 'The body is not valid JSON.' },
    })
  })

  it('answers 415 for a form-encoded body', async () => {
    const res = await call('POST', '/api/auth/login', {
      rawBody: 'username=admin&password=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(res.status).toBe(415)
    expect(await json(res)).toMatchObject({ error: { code: 'unsupported_media_type' } })
  })

  it('answers 413 for a huge body', async () => {
    const res = await call('POST', '/api/auth/login', {
      body: { username: 'a', password: 'x'.repeat(300_000) },
    })
    expect(res.status).toBe(413)
    expect(await json(res)).toMatchObject({ error: { code: 'body_too_large' } })
  })

  it('answers a JSON 404 for an unknown API path', async () => {
    const cookie = await setupAdmin()
    const res = await call('GET', '/api/nope', { cookie })
    expect(res.status).toBe(404)
    expect(await json(res)).toMatchObject({ error: { code: 'not_found' } })
  })
})

describe('security headers', () => {
  it('sets CSP, nosniff and frame-ancestors none on API responses', async () => {
    const res = await call('GET', '/api/health')
    expect(res.status).toBe(200)
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('sets them on the dashboard page too', async () => {
    const res = await call('GET', '/')
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
  })

  it('serves the dashboard for client-side routes (SPA fallback)', async () => {
    const res = await call('GET', '/deployments/some-id')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/text\/html/)
  })
})

describe('health', () => {
  it('says the target is a real Proxmox, or the simulator in demo mode', async () => {
    const { env } = await import('cloudflare:test')
    expect(await json(await call('GET', '/api/health'))).toEqual({
      ok: true,
      db: true,
      target: 'proxmox',
    })
    const demo = await app.request(
      'http://dash.test/api/health',
      {},
      { ...env, TARGET_MODE: 'demo' },
    )
    expect(await json(demo)).toMatchObject({ target: 'simulator' })
  })
})
