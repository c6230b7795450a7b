import { afterEach, describe, expect, it, vi } from 'vitest'
import { enableAccess, localTeam, viaAccess } from './access-helpers'
import { ADMIN, call, env, json, sessionCookie, setupAdmin } from './helpers'
import { accountAs } from './people-helpers'

afterEach(() => {
  vi.restoreAllMocks()
})

async function errorOf(res: Response): Promise<{ status: number; code: string; message: string }> {
  const body = await json<{ error: { code: string; message: string } }>(res)
  return { status: res.status, ...body.error }
}

describe('behind Cloudflare Access, with password sign-in off', () => {
  it('signs the browser in as the account the Access email names, with that account’s role', async () => {
    await setupAdmin()
    const team = await localTeam()
    await accountAs('viewer', { name: 'friend@example.com' })
    await enableAccess(team, false)
    const token = await team.token({ email: 'Friend@Example.com' })
    const me = await call('GET', '/api/auth/me', { headers: viaAccess(token) })
    expect(me.status).toBe(200)
    expect((await json<{ user: { username: string; role: string } }>(me)).user).toMatchObject({
      username: 'friend@example.com',
      role: 'viewer',
    })
    const cookie = sessionCookie(me)
    const list = await call('GET', '/api/deployments', { cookie, headers: viaAccess(token) })
    expect(list.status).toBe(200)
    const settings = await call('GET', '/api/settings/proxmox', {
      cookie,
      headers: viaAccess(token),
    })
    expect(await errorOf(settings)).toMatchObject({ status: 403, code: 'forbidden' })
  })

  it('reads the token from the CF_Authorization cookie too', async () => {
    const team = await localTeam()
    await accountAs('operator', { name: 'op@example.com' })
    await enableAccess(team, false)
    const cookie = `CF_Authorization=${await team.token({ email: 'op@example.com' })}`
    const me = await call('GET', '/api/auth/me', { cookie })
    expect(me.status).toBe(200)
  })

  it('refuses the password sign-in form with a clear error', async () => {
    await setupAdmin()
    const team = await localTeam()
    await enableAccess(team, false)
    const token = await team.token({ email: ADMIN.username })
    const res = await call('POST', '/api/auth/login', { body: ADMIN, headers: viaAccess(token) })
    const error = await errorOf(res)
    expect(error).toMatchObject({ status: 403, code: 'password_sign_in_off' })
    expect(error.message).toContain('Cloudflare Access')
  })

  it('refuses an email that names no account, and does not create one', async () => {
    const team = await localTeam()
    await enableAccess(team, false)
    const token = await team.token({ email: 'stranger@example.com' })
    const res = await call('GET', '/api/auth/me', { headers: viaAccess(token) })
    const error = await errorOf(res)
    expect(error).toMatchObject({ status: 403, code: 'access_no_account' })
    expect(error.message).toContain('stranger@example.com')
    expect(res.headers.get('set-cookie')).toBeNull()
  })

  it('refuses a disabled account', async () => {
    const team = await localTeam()
    const { id } = await accountAs('operator', { name: 'gone@example.com' })
    await env.DB.prepare('UPDATE users SET disabled_at = 1 WHERE id = ?').bind(id).run()
    await enableAccess(team, false)
    const token = await team.token({ email: 'gone@example.com' })
    const res = await call('GET', '/api/auth/me', { headers: viaAccess(token) })
    expect(await errorOf(res)).toMatchObject({ status: 403, code: 'access_no_account' })
  })
})

describe('the Access token is checked', () => {
  async function refusedWith(claims: Record<string, unknown>) {
    const team = await localTeam()
    await accountAs('viewer', { name: `v-${crypto.randomUUID()}@example.com` })
    await enableAccess(team, false)
    const token = await team.token({ email: 'v@example.com', ...claims })
    const res = await call('GET', '/api/deployments', { headers: viaAccess(token) })
    return errorOf(res)
  }

  it('refuses a token whose signature does not match (its email edited to the owner’s)', async () => {
    await setupAdmin()
    const team = await localTeam()
    await accountAs('viewer', { name: 'sig@example.com' })
    await enableAccess(team, false)
    const [header, payload, signature] = (await team.token({ email: 'sig@example.com' })).split('.')
    const claims = JSON.parse(atob(payload!.replaceAll('-', '+').replaceAll('_', '/'))) as object
    const edited = btoa(JSON.stringify({ ...claims, email: ADMIN.username }))
      .replaceAll('+', '-')
      .replaceAll('/', '_')
      .replace(/=+$/, '')
    const res = await call('GET', '/api/auth/me', {
      headers: viaAccess(`${header}.${edited}.${signature}`),
    })
    const error = await errorOf(res)
    expect(error).toMatchObject({ status: 403, code: 'access_refused' })
    expect(error.message).toContain('signature')
  })

  it('refuses a token for another application (audience)', async () => {
    const error = await refusedWith({ aud: ['another-application-aud'] })
    expect(error).toMatchObject({ status: 403, code: 'access_refused' })
    expect(error.message).toContain('audience')
  })

  it('refuses a token from another team (issuer)', async () => {
    const error = await refusedWith({ iss: 'https://elsewhere.cloudflareaccess.com' })
    expect(error).toMatchObject({ status: 403, code: 'access_refused' })
    expect(error.message).toContain('another Access team')
  })

  it('refuses an expired token, and accepts one within the clock skew', async () => {
    const now = Math.floor(Date.now() / 1000)
    const error = await refusedWith({ exp: now - 5 * 60, iat: now - 3600, nbf: now - 3600 })
    expect(error).toMatchObject({ status: 403, code: 'access_refused' })
    expect(error.message).toContain('expired')
    const team = await localTeam()
    await accountAs('viewer', { name: 'skew@example.com' })
    await enableAccess(team, false)
    const token = await team.token({ email: 'skew@example.com', exp: now - 10 })
    expect((await call('GET', '/api/deployments', { headers: viaAccess(token) })).status).toBe(200)
  })

  it('refuses a request without any Access token', async () => {
    const team = await localTeam()
    await enableAccess(team, true)
    const res = await call('GET', '/api/setup')
    expect(await errorOf(res)).toMatchObject({ status: 403, code: 'access_required' })
  })

  it('fetches the team’s keys again once for a key it has not seen (a rotation)', async () => {
    const team = await localTeam()
    await accountAs('viewer', { name: 'rot@example.com' })
    await enableAccess(team, false)
    const first = await team.token({ email: 'rot@example.com' })
    expect((await call('GET', '/api/deployments', { headers: viaAccess(first) })).status).toBe(200)
    expect((await call('GET', '/api/deployments', { headers: viaAccess(first) })).status).toBe(200)
    expect(team.certsFetches()).toBe(1)
    const kid = await team.addKey({ publish: false })
    team.publish(kid)
    const rotated = await team.token({ email: 'rot@example.com' }, kid)
    expect((await call('GET', '/api/deployments', { headers: viaAccess(rotated) })).status).toBe(
      200,
    )
    expect(team.certsFetches()).toBe(2)
    // A key the team does not publish at all, right after: refused without another fetch (one
    // fetch for unseen keys per 30 s, so forged key ids cannot make the worker hammer the team).
    const unknown = await team.addKey({ publish: false })
    const stray = await team.token({ email: 'rot@example.com' }, unknown)
    const res = await call('GET', '/api/deployments', { headers: viaAccess(stray) })
    expect(await errorOf(res)).toMatchObject({ status: 403, code: 'access_refused' })
    expect(team.certsFetches()).toBe(2)
  })
})

describe('behind Cloudflare Access, with password sign-in on', () => {
  it('asks for the password, and counts only a session of the Access email’s account', async () => {
    const ownerCookie = await setupAdmin()
    const team = await localTeam()
    const friend = await accountAs('operator', { name: 'pal@example.com' })
    await enableAccess(team, true)
    const token = await team.token({ email: 'pal@example.com' })
    expect((await call('GET', '/api/auth/me', { headers: viaAccess(token) })).status).toBe(401)
    // The owner's session, with the friend's Access token: not the friend, not the owner.
    const mixed = await call('GET', '/api/auth/me', {
      cookie: ownerCookie,
      headers: viaAccess(token),
    })
    expect(mixed.status).toBe(401)
    const login = await call('POST', '/api/auth/login', { body: ADMIN, headers: viaAccess(token) })
    expect(await errorOf(login)).toMatchObject({ status: 403, code: 'access_mismatch' })
    const me = await call('GET', '/api/auth/me', {
      cookie: friend.cookie,
      headers: viaAccess(token),
    })
    expect(me.status).toBe(200)
  })

  it('lets API tokens and the health check through without an Access token', async () => {
    const owner = await setupAdmin()
    const created = await call('POST', '/api/tokens', {
      cookie: owner,
      body: { name: 'ci', scope: 'read' },
    })
    const { secret } = await json<{ secret: string }>(created)
    await enableAccess(await localTeam(), true)
    const list = await call('GET', '/api/deployments', {
      headers: { authorization: `Bearer ${secret}` },
    })
    expect(list.status).toBe(200)
    expect((await call('GET', '/api/health')).status).toBe(200)
    expect((await call('GET', '/api/deployments', { cookie: owner })).status).toBe(403)
  })
})

describe('Settings → Sign-in → Cloudflare Access', () => {
  async function save(cookie: string, token: string | null, body: Record<string, unknown>) {
    return call('PUT', '/api/settings/access', {
      cookie,
      body,
      headers: token ? viaAccess(token) : {},
    })
  }

  it('turns Access on only when the owner’s own request passes it, then shows it', async () => {
    const owner = await setupAdmin()
    const team = await localTeam()
    const token = await team.token({ email: ADMIN.username })
    const settings = { enabled: true, teamDomain: `${team.domain}/`, audience: team.audience }
    const noToken = await errorOf(await save(owner, null, settings))
    expect(noToken).toMatchObject({ status: 400, code: 'invalid_request' })
    expect(noToken.message).toContain('enabled: this page was not opened through Cloudflare Access')
    const wrongAud = await errorOf(await save(owner, token, { ...settings, audience: 'abc123' }))
    expect(wrongAud.message).toContain('audience')
    const other = await team.token({ email: 'someone-else@example.com' })
    expect((await errorOf(await save(owner, other, settings))).message).toContain(
      'you would be shut out',
    )
    const ok = await save(owner, token, { ...settings, passwordSignIn: false })
    expect(ok.status).toBe(200)
    const shown = await call('GET', '/api/settings/access', {
      cookie: owner,
      headers: viaAccess(token),
    })
    expect(await json(shown)).toMatchObject({
      access: { enabled: true, teamDomain: team.domain, passwordSignIn: false },
      signedInAs: ADMIN.username,
    })
  })

  it('names the field of a bad team domain, and keeps admins out', async () => {
    const owner = await setupAdmin()
    const bad = await errorOf(
      await save(owner, null, { enabled: true, teamDomain: 'http://evil.example', audience: 'a' }),
    )
    expect(bad).toMatchObject({ status: 400 })
    expect(bad.message).toContain('teamDomain')
    const off = await errorOf(await save(owner, null, { enabled: false, passwordSignIn: false }))
    expect(off.message).toContain('passwordSignIn')
    const admin = await accountAs('admin')
    const res = await save(admin.cookie, null, { enabled: false })
    expect(await errorOf(res)).toMatchObject({ status: 403, code: 'forbidden' })
  })
})
