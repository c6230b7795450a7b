import { afterEach, describe, expect, it, vi } from 'vitest'
import { app } from '../../worker/app'
import { ADMIN, call, env, json, ORIGIN, sessionCookie, setupAdmin, SETUP_CODE } from './helpers'

const WITH_CODE = { ...ADMIN, setupCode: SETUP_CODE }

describe('first-run setup', () => {
  it('says setup is needed while no user exists', async () => {
    const res = await call('GET', '/api/setup')
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({ needed: true, codeSource: 'secret' })
  })

  it('creates the first admin, signs them in and writes an audit row', async () => {
    const res = await call('POST', '/api/setup', { body: WITH_CODE })
    expect(res.status).toBe(201)
    const cookie = sessionCookie(res)
    const me = await call('GET', '/api/auth/me', { cookie })
    // The first account is an owner: it may do everything, other owners included.
    expect(await json(me)).toEqual({
      user: {
        id: expect.any(String),
        username: 'admin',
        role: 'owner',
        deploymentScope: 'all',
        grants: {},
        secondFactor: {
          enrolled: false,
          methods: { totp: false, passkey: false },
          pending: false,
          at: null,
          mustEnrol: false,
        },
      },
    })
    const audit = await env.DB.prepare(`select action, target from audit_log`).all()
    expect(audit.results).toContainEqual({ action: 'setup.admin_created', target: 'admin' })
  })

  it('answers 409 forever once a user exists, and never replaces the admin', async () => {
    await setupAdmin()
    const res = await call('POST', '/api/setup', {
      body: { username: 'attacker', password: 'another long password', setupCode: SETUP_CODE },
    })
    expect(res.status).toBe(409)
    expect(await json(res)).toMatchObject({ error: { code: 'setup_done' } })
    const users = await env.DB.prepare('select username from users').all()
    expect(users.results).toEqual([{ username: 'admin' }])
    expect(await json(await call('GET', '/api/setup'))).toEqual({
      needed: false,
      codeSource: null,
    })
  })

  it('lets only one of two racing setups win', async () => {
    const [a, b] = await Promise.all([
      call('POST', '/api/setup', {
        body: { username: 'first', password: 'a long enough password', setupCode: SETUP_CODE },
      }),
      // From another address: one address's tries are checked one at a time.
      call('POST', '/api/setup', {
        body: { username: 'second', password: 'a long enough password', setupCode: SETUP_CODE },
        headers: { 'cf-connecting-ip': '192.0.2.2' },
      }),
    ])
    expect([a.status, b.status].sort()).toEqual([201, 409])
    const users = await env.DB.prepare('select count(*) as n from users').first<{ n: number }>()
    expect(users?.n).toBe(1)
  })

  it('refuses a password shorter than 12 characters, naming the field', async () => {
    const res = await call('POST', '/api/setup', {
      body: { username: 'admin', password: 'short', setupCode: SETUP_CODE },
    })
    expect(res.status).toBe(400)
    const body = await json<{ error: { code: string; message: string; details: unknown } }>(res)
    expect(body.error.code).toBe('invalid_request')
    expect(body.error.message).toContain('password')
    expect(body.error.details).toEqual([
      { path: 'password', message: 'must be at least 12 characters' },
    ])
  })
})

const userCount = async () =>
  (await env.DB.prepare('select count(*) as n from users').first<{ n: number }>())?.n

describe('the setup code', () => {
  it('is required: setup without it is refused, naming the field', async () => {
    const res = await call('POST', '/api/setup', { body: ADMIN })
    expect(res.status).toBe(400)
    expect(await json(res)).toMatchObject({
      error: { code: 'invalid_request', details: [{ path: 'setupCode', message: 'is required' }] },
    })
    expect(await userCount()).toBe(0)
  })

  it('refuses a wrong code with 403 naming the field, creates nobody, and records the try', async () => {
    const res = await call('POST', '/api/setup', {
      body: { ...ADMIN, setupCode: 'AAAAA-BBBBB-CCCCC-DDDDD' },
    })
    expect(res.status).toBe(403)
    const body = await json<{ error: { code: string; message: string; details: unknown } }>(res)
    expect(body.error.code).toBe('invalid_setup_code')
    expect(body.error.details).toEqual([
      { path: 'setupCode', message: 'is not the setup code of this dashboard' },
    ])
    expect(res.headers.get('set-cookie')).toBeNull()
    expect(await userCount()).toBe(0)
    expect(await json(await call('GET', '/api/setup'))).toMatchObject({ needed: true })
    const audit = await env.DB.prepare(
      `select actor, target from audit_log where action = 'setup.code_refused'`,
    ).all()
    expect(audit.results).toEqual([{ actor: 'anonymous', target: 'admin' }])
  })

  it('accepts the code typed in lower case, with spaces instead of dashes', async () => {
    const typed = SETUP_CODE.toLowerCase().replace(/-/g, ' ')
    const res = await call('POST', '/api/setup', { body: { ...ADMIN, setupCode: typed } })
    expect(res.status).toBe(201)
  })

  it('is useless once setup is done', async () => {
    await setupAdmin()
    const res = await call('POST', '/api/setup', {
      body: { username: 'second', password: 'another long password', setupCode: SETUP_CODE },
    })
    expect(res.status).toBe(409)
    expect(await userCount()).toBe(1)
  })

  it('counts wrong setup codes against the address too', async () => {
    const wrong = () =>
      call('POST', '/api/setup', { body: { ...ADMIN, setupCode: 'AAAAA-BBBBB-CCCCC-DDDDD' } })
    expect((await wrong()).status).toBe(403)
    expect((await wrong()).status).toBe(429)
  })

  it('answers a clear 503 when the SETUP_CODE secret is too short to be safe', async () => {
    const res = await app.request(
      `${ORIGIN}/api/setup`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: ORIGIN },
        body: JSON.stringify({ ...ADMIN, setupCode: '1234' }),
      },
      { ...env, SETUP_CODE: '1234' },
    )
    expect(res.status).toBe(503)
    expect(await json(res)).toMatchObject({
      error: { code: 'server_misconfigured', message: expect.stringContaining('SETUP_CODE') },
    })
    expect(await userCount()).toBe(0)
  })
})

describe('the setup code without a SETUP_CODE secret', () => {
  afterEach(() => vi.restoreAllMocks())
  // As deployed without `wrangler secret put SETUP_CODE`.
  const unset = { ...env, SETUP_CODE: undefined }
  const request = (method: string, body?: unknown, ip = '203.0.113.7') =>
    app.request(
      `${ORIGIN}/api/setup`,
      {
        method,
        headers: body
          ? { 'content-type': 'application/json', origin: ORIGIN, 'cf-connecting-ip': ip }
          : {},
        body: body ? JSON.stringify(body) : undefined,
      },
      unset,
    )

  it('is generated on the first visit, written to the log once, and then works once', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined)
    const first = await request('GET')
    expect(await json(first)).toEqual({ needed: true, codeSource: 'generated' })
    // A second visit (another isolate, a reload) neither logs nor replaces it.
    expect(await json(await request('GET'))).toEqual({ needed: true, codeSource: 'generated' })
    const logged = log.mock.calls
      .map((args) => String(args[0]))
      .filter((l) => /setup code/i.test(l))
    expect(logged).toHaveLength(1)
    const code = /First-run setup code: ([A-Z0-9-]+)/.exec(logged[0] ?? '')?.[1] ?? ''
    expect(code).toMatch(/^[A-Z2-9]{5}(-[A-Z2-9]{5}){3}$/)
    // Only its hash is kept.
    const stored = await env.DB.prepare(
      `select value_json from settings where key = 'setup_code'`,
    ).first<{ value_json: string }>()
    expect(stored?.value_json).not.toContain(code.replace(/-/g, ''))

    expect((await request('POST', { ...ADMIN, setupCode: 'ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ' })).status).toBe(
      403,
    )
    const res = await request('POST', { ...ADMIN, setupCode: code }, '192.0.2.3')
    expect(res.status).toBe(201)
    // Setup done: the code is forgotten, and no new one is made.
    const left = await env.DB.prepare(
      `select count(*) as n from settings where key = 'setup_code'`,
    ).first<{ n: number }>()
    expect(left?.n).toBe(0)
    expect(await json(await request('GET'))).toEqual({ needed: false, codeSource: null })
  })

  it('cannot be guessed before anyone saw it: a setup with no code generated yet is refused', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined)
    const res = await request('POST', { ...ADMIN, setupCode: 'AAAAA-AAAAA-AAAAA-AAAAA' })
    expect(res.status).toBe(403)
    expect(await userCount()).toBe(0)
  })
})
