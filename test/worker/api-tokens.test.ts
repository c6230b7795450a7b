import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { configureProxmox, createDeployment } from './engine-helpers'
import { call, json, setupAdmin } from './helpers'
import { accountAs } from './people-helpers'

async function newToken(cookie: string, body: Record<string, unknown>) {
  const res = await call('POST', '/api/tokens', { cookie, body: { name: 'ci', ...body } })
  if (res.status !== 201) throw new Error(`token: ${res.status} ${await res.text()}`)
  return json<{ token: { id: string }; secret: string }>(res)
}

const bearer = (secret: string) => ({ headers: { authorization: `Bearer ${secret}` } })

describe('API tokens', () => {
  it('acts within a read scope only, shown once and stored as a hash', async () => {
    const owner = await setupAdmin()
    await configureProxmox(owner)
    const dep = await createDeployment(owner)
    const { secret } = await newToken(owner, { scope: 'read' })
    expect(secret).toMatch(/^pgd_[A-Za-z0-9_-]{40,}$/)
    const list = await call('GET', '/api/deployments', bearer(secret))
    expect(list.status).toBe(200)
    expect((await json<{ deployments: unknown[] }>(list)).deployments).toHaveLength(1)
    const stop = await call('POST', `/api/deployments/${dep.id}/cancel`, bearer(secret))
    expect(stop.status).toBe(403)
    expect((await call('GET', '/api/settings/proxmox', bearer(secret))).status).toBe(403)
    const listed = await call('GET', '/api/tokens', { cookie: owner })
    const text = await listed.text()
    expect(text).toContain('"scope":"read"')
    expect(text).not.toContain(secret)
    const dump = JSON.stringify(await env.DB.prepare('SELECT * FROM api_tokens').all())
    expect(dump).not.toContain(secret)
  })

  it('limits an operate token to its deployments', async () => {
    const owner = await setupAdmin()
    await configureProxmox(owner)
    const mine = await createDeployment(owner, { name: 'mine' })
    const other = await createDeployment(owner, { name: 'other' })
    const { secret } = await newToken(owner, { scope: 'operate', deploymentIds: [mine.id] })
    const list = await json<{ deployments: { id: string }[] }>(
      await call('GET', '/api/deployments', bearer(secret)),
    )
    expect(list.deployments.map((d) => d.id)).toEqual([mine.id])
    expect((await call('GET', `/api/deployments/${other.id}`, bearer(secret))).status).toBe(404)
    expect((await call('POST', `/api/deployments/${mine.id}/cancel`, bearer(secret))).status).toBe(
      200,
    )
    const create = await call('POST', '/api/deployments', {
      ...bearer(secret),
      body: { name: 'more', game: 'minecraft', config: { eula: true } },
    })
    expect(create.status).toBe(403)
    // The audit log says which token did it.
    const { entries } = await json<{ entries: { actor: string; action: string }[] }>(
      await call('GET', '/api/audit', { cookie: owner }),
    )
    expect(entries).toContainEqual(
      expect.objectContaining({ actor: 'admin (token ci)', action: 'deployment.cancel_requested' }),
    )
  })

  it('lets an admin token reach settings, but never sessions, passwords or tokens', async () => {
    const owner = await setupAdmin()
    const { secret } = await newToken(owner, { scope: 'admin' })
    expect((await call('GET', '/api/settings/cleanup', bearer(secret))).status).toBe(200)
    for (const [method, path] of [
      ['GET', '/api/tokens'],
      ['POST', '/api/tokens'],
      ['GET', '/api/auth/sessions'],
      ['POST', '/api/auth/password'],
    ] as const) {
      const res = await call(method, path, {
        ...bearer(secret),
        ...(method === 'GET' ? {} : { body: {} }),
      })
      expect(res.status, `${method} ${path}`).toBe(403)
      expect(await json(res)).toMatchObject({ error: { code: 'session_only' } })
    }
  })

  it('never gives a token more than its user has', async () => {
    await setupAdmin()
    const viewer = await accountAs('viewer')
    const res = await call('POST', '/api/tokens', {
      cookie: viewer.cookie,
      body: { name: 'x', scope: 'operate' },
    })
    expect(res.status).toBe(400)
    expect(await json(res)).toMatchObject({ error: { details: [{ path: 'scope' }] } })
    // A token made while the user could operate does not outlive a demotion.
    const operator = await accountAs('operator')
    const { secret } = await newToken(operator.cookie, { scope: 'operate' })
    await env.DB.prepare("UPDATE users SET role = 'viewer' WHERE id = ?").bind(operator.id).run()
    const me = await json<{ user: { role: string } }>(
      await call('GET', '/api/auth/me', bearer(secret)),
    )
    expect(me.user.role).toBe('viewer')
  })

  it('refuses an expired, a revoked and a made-up token, without falling back to the cookie', async () => {
    const owner = await setupAdmin()
    const expired = await newToken(owner, { scope: 'read', expiresInDays: 1 })
    await env.DB.prepare('UPDATE api_tokens SET expires_at = ? WHERE id = ?')
      .bind(Date.now() - 1, expired.token.id)
      .run()
    const revoked = await newToken(owner, { scope: 'read' })
    const ok = await call('GET', '/api/auth/me', bearer(revoked.secret))
    expect(ok.status).toBe(200)
    expect(
      (await call('DELETE', `/api/tokens/${revoked.token.id}`, { cookie: owner })).status,
    ).toBe(200)
    for (const secret of [expired.secret, revoked.secret, 'pgd_made-up']) {
      const res = await call('GET', '/api/auth/me', { cookie: owner, ...bearer(secret) })
      expect(res.status).toBe(401)
      expect(await json(res)).toMatchObject({ error: { code: 'invalid_token' } })
    }
  })

  it('records when a token was last used', async () => {
    const owner = await setupAdmin()
    const { secret } = await newToken(owner, { scope: 'read' })
    const before = await json<{ tokens: { lastUsedAt: number | null }[] }>(
      await call('GET', '/api/tokens', { cookie: owner }),
    )
    expect(before.tokens[0]?.lastUsedAt).toBeNull()
    await call('GET', '/api/deployments', bearer(secret))
    const after = await json<{ tokens: { lastUsedAt: number | null }[] }>(
      await call('GET', '/api/tokens', { cookie: owner }),
    )
    expect(after.tokens[0]?.lastUsedAt).toBeGreaterThan(Date.now() - 60_000)
  })

  it('does not open a live socket for a token', async () => {
    const owner = await setupAdmin()
    await configureProxmox(owner)
    const dep = await createDeployment(owner)
    const { secret } = await newToken(owner, { scope: 'read' })
    const res = await call('GET', `/api/deployments/${dep.id}/events`, {
      headers: { authorization: `Bearer ${secret}`, upgrade: 'websocket' },
    })
    expect(res.status).toBe(403)
  })
})
