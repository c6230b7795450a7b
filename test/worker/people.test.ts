import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { configureProxmox, createDeployment } from './engine-helpers'
import { ADMIN, call, json, sessionCookie, setupAdmin } from './helpers'
import { accountAs, invite, join } from './people-helpers'

const me = async (cookie: string) =>
  json<{ user: { username: string; role: string; deploymentScope: string } }>(
    await call('GET', '/api/auth/me', { cookie }),
  )

async function login(username: string, password: string) {
  return call('POST', '/api/auth/login', { body: { username, password } })
}

describe('invites', () => {
  it('makes an account with the role and grants of the invite, once', async () => {
    const owner = await setupAdmin()
    await configureProxmox(owner)
    const dep = await createDeployment(owner)
    const token = await invite(owner, {
      role: 'operator',
      deploymentScope: 'granted',
      grants: [{ deploymentId: dep.id, access: 'operate' }],
    })
    const check = await call('POST', '/api/invites/check', { body: { token } })
    expect(await json(check)).toMatchObject({ kind: 'invite', role: 'operator' })
    const cookie = await join(token, 'friend')
    expect((await me(cookie)).user).toMatchObject({
      username: 'friend',
      role: 'operator',
      deploymentScope: 'granted',
    })
    const list = await json<{ deployments: { id: string }[] }>(
      await call('GET', '/api/deployments', { cookie }),
    )
    expect(list.deployments.map((d) => d.id)).toEqual([dep.id])
    // A second use, even under another name, is refused and makes nothing.
    const again = await call('POST', '/api/invites/accept', {
      body: { token, username: 'friend2', password: 'a long enough pass' },
    })
    expect(again.status).toBe(410)
    expect(await json(again)).toMatchObject({ error: { code: 'link_used' } })
    expect((await login('friend2', 'a long enough pass')).status).toBe(401)
  })

  it('refuses an expired invite and a made-up one', async () => {
    const owner = await setupAdmin()
    const token = await invite(owner, { role: 'viewer', expiresInHours: 1 })
    await env.DB.prepare('UPDATE account_links SET expires_at = ?')
      .bind(Date.now() - 1)
      .run()
    const res = await call('POST', '/api/invites/accept', {
      body: { token, username: 'late', password: 'a long enough pass' },
    })
    expect(res.status).toBe(410)
    expect(await json(res)).toMatchObject({ error: { code: 'link_expired' } })
    const made = await call('POST', '/api/invites/check', { body: { token: 'x'.repeat(43) } })
    expect(made.status).toBe(404)
    expect(await json(made)).toMatchObject({ error: { code: 'link_invalid' } })
  })

  it('stores only a hash of the token', async () => {
    const owner = await setupAdmin()
    const token = await invite(owner, { role: 'viewer' })
    const dump = JSON.stringify(await env.DB.prepare('SELECT * FROM account_links').all())
    expect(dump).not.toContain(token)
  })

  it('keeps a taken name free to try again with the same link', async () => {
    const owner = await setupAdmin()
    const token = await invite(owner, { role: 'viewer' })
    const taken = await call('POST', '/api/invites/accept', {
      body: { token, username: ADMIN.username, password: 'a long enough pass' },
    })
    expect(taken.status).toBe(409)
    expect(await json(taken)).toMatchObject({ error: { details: [{ path: 'username' }] } })
    await join(token, 'someone-else')
  })

  it('lets an admin invite anyone but an owner, and names a missing deployment', async () => {
    await setupAdmin()
    const { cookie } = await accountAs('admin')
    const res = await call('POST', '/api/users/invites', { cookie, body: { role: 'owner' } })
    expect(res.status).toBe(403)
    const bad = await call('POST', '/api/users/invites', {
      cookie,
      body: {
        role: 'viewer',
        deploymentScope: 'granted',
        grants: [{ deploymentId: 'nope', access: 'view' }],
      },
    })
    expect(bad.status).toBe(400)
    expect(await json(bad)).toMatchObject({
      error: { details: [{ path: 'grants.0.deploymentId' }] },
    })
  })
})

describe('managing accounts', () => {
  it('always keeps one owner', async () => {
    const owner = await setupAdmin()
    const ownerId = (
      await json<{ users: { id: string }[] }>(await call('GET', '/api/users', { cookie: owner }))
    ).users[0]?.id
    const { cookie: admin } = await accountAs('admin')
    // An admin does not touch owners.
    const byAdmin = await call('PATCH', `/api/users/${ownerId}`, {
      cookie: admin,
      body: { role: 'viewer' },
    })
    expect(byAdmin.status).toBe(403)
    // A second owner may demote the first, but not the last one.
    const second = await accountAs('owner')
    const demote = await call('PATCH', `/api/users/${ownerId}`, {
      cookie: second.cookie,
      body: { role: 'admin' },
    })
    expect(demote.status).toBe(200)
    // The demoted owner's sessions ended with the change.
    expect((await call('GET', '/api/auth/me', { cookie: owner })).status).toBe(401)
    // No one takes away their own ownership: another owner has to, so one always remains.
    for (const body of [{ role: 'admin' }, { disabled: true }]) {
      const self = await call('PATCH', `/api/users/${second.id}`, { cookie: second.cookie, body })
      expect(self.status).toBe(409)
    }
    const removeSelf = await call('DELETE', `/api/users/${second.id}`, { cookie: second.cookie })
    expect(removeSelf.status).toBe(409)
    expect(await json(removeSelf)).toMatchObject({ error: { code: 'own_account' } })
    const { users } = await json<{ users: { role: string }[] }>(
      await call('GET', '/api/users', { cookie: second.cookie }),
    )
    expect(users.filter((u) => u.role === 'owner').length).toBe(1)
  })

  it('signs a disabled account out at once and refuses its sign-in', async () => {
    const owner = await setupAdmin()
    const token = await invite(owner, { role: 'operator' })
    const cookie = await join(token, 'pal', 'pal password long')
    const { users } = await json<{ users: { id: string; username: string }[] }>(
      await call('GET', '/api/users', { cookie: owner }),
    )
    const pal = users.find((u) => u.username === 'pal')
    const res = await call('PATCH', `/api/users/${pal?.id}`, {
      cookie: owner,
      body: { disabled: true },
    })
    expect(res.status).toBe(200)
    expect((await call('GET', '/api/auth/me', { cookie })).status).toBe(401)
    const again = await login('pal', 'pal password long')
    expect(again.status).toBe(403)
    expect(await json(again)).toMatchObject({ error: { code: 'account_disabled' } })
  })

  it('resets a password by a one-time link that ends every session of the account', async () => {
    const owner = await setupAdmin()
    const cookie = await join(await invite(owner, { role: 'viewer' }), 'pal', 'old password long')
    const { users } = await json<{ users: { id: string; username: string }[] }>(
      await call('GET', '/api/users', { cookie: owner }),
    )
    const pal = users.find((u) => u.username === 'pal')
    const reset = await json<{ token: string }>(
      await call('POST', `/api/users/${pal?.id}/reset`, { cookie: owner }),
    )
    expect((await call('GET', '/api/auth/me', { cookie })).status).toBe(401)
    const check = await call('POST', '/api/invites/check', { body: { token: reset.token } })
    expect(await json(check)).toMatchObject({ kind: 'reset', username: 'pal' })
    const done = await call('POST', '/api/invites/accept', {
      body: { token: reset.token, password: 'new password long' },
    })
    expect(done.status).toBe(200)
    expect((await me(sessionCookie(done))).user.username).toBe('pal')
    expect((await login('pal', 'new password long')).status).toBe(200)
    expect((await login('pal', 'old password long')).status).toBe(401)
  })

  it('names the actor in the audit log', async () => {
    const owner = await setupAdmin()
    await configureProxmox(owner)
    const dep = await createDeployment(owner)
    const cookie = await join(
      await invite(owner, {
        role: 'operator',
        deploymentScope: 'granted',
        grants: [{ deploymentId: dep.id, access: 'operate' }],
      }),
      'pal',
    )
    await call('POST', `/api/deployments/${dep.id}/cancel`, { cookie })
    const { entries } = await json<{ entries: { actor: string; action: string }[] }>(
      await call('GET', '/api/audit', { cookie: owner }),
    )
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actor: ADMIN.username, action: 'user.invited' }),
        expect.objectContaining({ actor: 'pal', action: 'user.joined' }),
        expect.objectContaining({ actor: 'pal', action: 'deployment.cancel_requested' }),
      ]),
    )
  })
})

describe('own sessions', () => {
  it('lists them, ends another, and ends all others on a password change', async () => {
    await setupAdmin()
    const a = sessionCookie(await login(ADMIN.username, ADMIN.password))
    const b = sessionCookie(await login(ADMIN.username, ADMIN.password))
    const c = sessionCookie(await login(ADMIN.username, ADMIN.password))
    const { sessions } = await json<{ sessions: { id: string; current: boolean }[] }>(
      await call('GET', '/api/auth/sessions', { cookie: a }),
    )
    expect(sessions.length).toBe(4)
    expect(sessions.filter((s) => s.current).length).toBe(1)
    const other = (
      await json<{ sessions: { id: string; current: boolean }[] }>(
        await call('GET', '/api/auth/sessions', { cookie: b }),
      )
    ).sessions.find((s) => s.current)
    expect((await call('DELETE', `/api/auth/sessions/${other?.id}`, { cookie: a })).status).toBe(
      200,
    )
    expect((await call('GET', '/api/auth/me', { cookie: b })).status).toBe(401)
    const changed = await call('POST', '/api/auth/password', {
      cookie: a,
      body: { current: ADMIN.password, next: 'a brand new password' },
    })
    expect(changed.status).toBe(200)
    expect((await call('GET', '/api/auth/me', { cookie: c })).status).toBe(401)
    expect((await call('GET', '/api/auth/me', { cookie: sessionCookie(changed) })).status).toBe(200)
  })

  it('does not end a session of another account', async () => {
    await setupAdmin()
    const other = await accountAs('viewer')
    const mine = await accountAs('viewer')
    const { sessions } = await json<{ sessions: { id: string }[] }>(
      await call('GET', '/api/auth/sessions', { cookie: other.cookie }),
    )
    const res = await call('DELETE', `/api/auth/sessions/${sessions[0]?.id}`, {
      cookie: mine.cookie,
    })
    expect(res.status).toBe(404)
    expect((await call('GET', '/api/auth/me', { cookie: other.cookie })).status).toBe(200)
  })
})
