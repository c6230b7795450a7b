import { describe, expect, it } from 'vitest'
import { ADMIN, call, env, json, sessionCookie, setupAdmin } from './helpers'

describe('first-run setup', () => {
  it('says setup is needed while no user exists', async () => {
    const res = await call('GET', '/api/setup')
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({ needed: true })
  })

  it('creates the first admin, signs them in and writes an audit row', async () => {
    const res = await call('POST', '/api/setup', { body: ADMIN })
    expect(res.status).toBe(201)
    const cookie = sessionCookie(res)
    const me = await call('GET', '/api/auth/me', { cookie })
    expect(await json(me)).toEqual({ user: { id: expect.any(String), username: 'admin' } })
    const audit = await env.DB.prepare(`select action, target from audit_log`).all()
    expect(audit.results).toContainEqual({ action: 'setup.admin_created', target: 'admin' })
  })

  it('answers 409 forever once a user exists, and never replaces the admin', async () => {
    await setupAdmin()
    const res = await call('POST', '/api/setup', {
      body: { username: 'attacker', password: 'another long password' },
    })
    expect(res.status).toBe(409)
    expect(await json(res)).toMatchObject({ error: { code: 'setup_done' } })
    const users = await env.DB.prepare('select username from users').all()
    expect(users.results).toEqual([{ username: 'admin' }])
    expect(await json(await call('GET', '/api/setup'))).toEqual({ needed: false })
  })

  it('lets only one of two racing setups win', async () => {
    const [a, b] = await Promise.all([
      call('POST', '/api/setup', {
        body: { username: 'first', password: 'a long enough password' },
      }),
      call('POST', '/api/setup', {
        body: { username: 'second', password: 'a long enough password' },
      }),
    ])
    expect([a.status, b.status].sort()).toEqual([201, 409])
    const users = await env.DB.prepare('select count(*) as n from users').first<{ n: number }>()
    expect(users?.n).toBe(1)
  })

  it('refuses a password shorter than 12 characters, naming the field', async () => {
    const res = await call('POST', '/api/setup', { body: { username: 'admin', password: 'short' } })
    expect(res.status).toBe(400)
    const body = await json<{ error: { code: string; message: string; details: unknown } }>(res)
    expect(body.error.code).toBe('invalid_request')
    expect(body.error.message).toContain('password')
    expect(body.error.details).toEqual([
      { path: 'password', message: 'must be at least 12 characters' },
    ])
  })
})
