import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { ADMIN, call, json, ORIGIN, sessionCookie, setupAdmin } from './helpers'
import { SoftPasskey, b64url, type Assertion } from './soft-authenticator'

const RP_ID = new URL(ORIGIN).hostname

interface Refusal {
  error: { code: string; message: string }
}

/** Register a new software passkey on the account behind `cookie`. */
async function register(cookie: string, name: string, origin = ORIGIN): Promise<SoftPasskey> {
  const key = await SoftPasskey.create()
  const res = await tryRegister(cookie, key, name, origin)
  expect(res.status, await res.clone().text()).toBe(201)
  return key
}

async function tryRegister(cookie: string, key: SoftPasskey, name: string, origin = ORIGIN) {
  const options = await json<{ challenge: string; rpId: string; algorithms: number[] }>(
    await call('POST', '/api/auth/passkeys/register/options', { cookie }),
  )
  expect(options.rpId).toBe(RP_ID)
  expect(options.algorithms).toContain(-7)
  return call('POST', '/api/auth/passkeys', {
    cookie,
    body: { name, ...(await key.register(options.challenge, origin, RP_ID)) },
  })
}

async function loginChallenge(): Promise<string> {
  const res = await call('POST', '/api/auth/passkey-login/options')
  expect(res.status).toBe(200)
  return (await json<{ challenge: string }>(res)).challenge
}

const signIn = (assertion: Assertion) =>
  call('POST', '/api/auth/passkey-login', { body: assertion })

async function refusal(res: Response): Promise<string> {
  expect(res.status).toBe(400)
  const body = await json<Refusal>(res)
  expect(body.error.code).toBe('passkey_refused')
  return body.error.message
}

describe('passkeys', () => {
  it('registers several, lists them by name without key material, renames and removes one', async () => {
    const cookie = await setupAdmin()
    await register(cookie, 'Laptop')
    await register(cookie, 'Phone')
    const listed = await json<{ passkeys: { id: string; name: string }[] }>(
      await call('GET', '/api/auth/passkeys', { cookie }),
    )
    expect(listed.passkeys.map((p) => p.name)).toEqual(['Laptop', 'Phone'])
    expect(JSON.stringify(listed)).not.toMatch(/publicKey|credentialId|counter/)
    const [laptop, phone] = listed.passkeys
    const renamed = await call('PATCH', `/api/auth/passkeys/${laptop?.id}`, {
      cookie,
      body: { name: 'Work laptop' },
    })
    expect(renamed.status).toBe(200)
    // Registering counted as a fresh second factor, so the removal needs no other proof.
    expect((await call('DELETE', `/api/auth/passkeys/${phone?.id}`, { cookie })).status).toBe(200)
    const after = await json<{ passkeys: { name: string }[] }>(
      await call('GET', '/api/auth/passkeys', { cookie }),
    )
    expect(after.passkeys.map((p) => p.name)).toEqual(['Work laptop'])
  })

  it('refuses a registration made on another origin, and a name that is empty', async () => {
    const cookie = await setupAdmin()
    const key = await SoftPasskey.create()
    const message = await refusal(await tryRegister(cookie, key, 'Laptop', 'https://evil.test'))
    expect(message).toContain('https://evil.test')
    const empty = await tryRegister(cookie, key, '  ')
    expect(empty.status).toBe(400)
    expect((await json<Refusal>(empty)).error.message).toBe('Invalid body: name: is required')
  })

  it('signs in without a password with a good assertion, as a session with a fresh second factor', async () => {
    const cookie = await setupAdmin()
    const key = await register(cookie, 'Laptop')
    const res = await signIn(await key.sign(await loginChallenge(), ORIGIN, RP_ID))
    expect(res.status, await res.clone().text()).toBe(200)
    expect(await json(res)).toMatchObject({ user: { username: ADMIN.username } })
    const session = sessionCookie(res)
    const me = await json<{ user: { secondFactor: { enrolled: boolean; pending: boolean } } }>(
      await call('GET', '/api/auth/me', { cookie: session }),
    )
    expect(me.user.secondFactor).toMatchObject({ enrolled: true, pending: false })
    // A sensitive action goes through without asking for a code.
    const put = await call('PUT', '/api/settings/security', {
      cookie: session,
      body: { requireSecondFactor: false },
    })
    expect(put.status).toBe(200)
  })

  it('works with a key whose y coordinate starts with a zero byte (one passkey in 256)', async () => {
    const cookie = await setupAdmin()
    const key = await SoftPasskey.createWithLeadingZeroY()
    expect((await tryRegister(cookie, key, 'Laptop')).status).toBe(201)
    const res = await signIn(await key.sign(await loginChallenge(), ORIGIN, RP_ID))
    expect(res.status, await res.clone().text()).toBe(200)
  })

  it('repairs such a key stored by an earlier version (y one byte early), at its next use', async () => {
    const cookie = await setupAdmin()
    const key = await SoftPasskey.createWithLeadingZeroY()
    expect((await tryRegister(cookie, key, 'Laptop')).status).toBe(201)
    const row = () => env.DB.prepare('SELECT public_key AS k FROM passkeys').first<{ k: string }>()
    const good = (await row())?.k ?? ''
    // What the earlier encoding stored: y's 31 significant bytes right after x, then a zero.
    const bytes = Uint8Array.from(atob(good.replace(/-/g, '+').replace(/_/g, '/')), (c) =>
      c.charCodeAt(0),
    )
    const old = new Uint8Array(65)
    old.set(bytes.subarray(0, 33))
    old.set(bytes.subarray(34), 33)
    await env.DB.prepare('UPDATE passkeys SET public_key = ?').bind(b64url(old)).run()
    const res = await signIn(await key.sign(await loginChallenge(), ORIGIN, RP_ID))
    expect(res.status, await res.clone().text()).toBe(200)
    expect((await row())?.k).toBe(good)
    // A wrong signature is still refused against the repaired key.
    const other = await SoftPasskey.create()
    const forged = await other.sign(await loginChallenge(), ORIGIN, RP_ID)
    expect(
      await refusal(await signIn({ ...forged, credentialId: b64url(key.credentialId) })),
    ).toContain('signature does not match')
  })

  it('refuses a challenge it never issued', async () => {
    const cookie = await setupAdmin()
    const key = await register(cookie, 'Laptop')
    const forged = b64url(crypto.getRandomValues(new Uint8Array(32)))
    expect(await refusal(await signIn(await key.sign(forged, ORIGIN, RP_ID)))).toContain(
      'challenge is unknown, already used or expired',
    )
  })

  it('refuses a replayed assertion: the challenge works once', async () => {
    const cookie = await setupAdmin()
    const key = await register(cookie, 'Laptop')
    const assertion = await key.sign(await loginChallenge(), ORIGIN, RP_ID)
    expect((await signIn(assertion)).status).toBe(200)
    expect(await refusal(await signIn(assertion))).toContain('already used')
  })

  it('refuses an expired challenge', async () => {
    const cookie = await setupAdmin()
    const key = await register(cookie, 'Laptop')
    const challenge = await loginChallenge()
    await env.DB.prepare('UPDATE webauthn_challenges SET expires_at = ?')
      .bind(Date.now() - 1)
      .run()
    expect(await refusal(await signIn(await key.sign(challenge, ORIGIN, RP_ID)))).toContain(
      'expired',
    )
  })

  it('refuses an assertion made on another origin', async () => {
    const cookie = await setupAdmin()
    const key = await register(cookie, 'Laptop')
    const message = await refusal(
      await signIn(await key.sign(await loginChallenge(), 'https://dash.test.evil.example', RP_ID)),
    )
    expect(message).toContain('was used on https://dash.test.evil.example')
  })

  it('refuses a passkey this dashboard does not know', async () => {
    await setupAdmin()
    const stranger = await SoftPasskey.create()
    expect(
      await refusal(await signIn(await stranger.sign(await loginChallenge(), ORIGIN, RP_ID))),
    ).toContain('not registered here')
  })

  it('refuses a signature from another key for a known credential id', async () => {
    const cookie = await setupAdmin()
    const key = await register(cookie, 'Laptop')
    const other = await SoftPasskey.create()
    const forged = await other.sign(await loginChallenge(), ORIGIN, RP_ID)
    const res = await signIn({ ...forged, credentialId: b64url(key.credentialId) })
    expect(await refusal(res)).toContain('signature does not match')
  })

  it('refuses a counter that went backwards (a copied authenticator)', async () => {
    const cookie = await setupAdmin()
    const key = await register(cookie, 'Laptop')
    key.counter = 10
    expect((await signIn(await key.sign(await loginChallenge(), ORIGIN, RP_ID))).status).toBe(200)
    key.counter = 4
    expect(
      await refusal(await signIn(await key.sign(await loginChallenge(), ORIGIN, RP_ID))),
    ).toContain('counter went backwards')
  })

  it('is the second factor after a password: only the passkey check is open until it is given', async () => {
    const cookie = await setupAdmin()
    const key = await register(cookie, 'Laptop')
    const login = await call('POST', '/api/auth/login', { body: ADMIN })
    expect(await json(login)).toMatchObject({
      secondFactorRequired: true,
      secondFactors: { totp: false, passkey: true },
    })
    const pending = sessionCookie(login)
    expect((await call('GET', '/api/deployments', { cookie: pending })).status).toBe(401)
    const options = await json<{ challenge: string; allowCredentials: string[] }>(
      await call('POST', '/api/auth/passkeys/verify/options', { cookie: pending }),
    )
    expect(options.allowCredentials).toEqual([b64url(key.credentialId)])
    const verified = await call('POST', '/api/auth/passkeys/verify', {
      cookie: pending,
      body: await key.sign(options.challenge, ORIGIN, RP_ID),
    })
    expect(verified.status, await verified.clone().text()).toBe(200)
    expect((await call('GET', '/api/deployments', { cookie: pending })).status).toBe(200)
  })

  it("refuses another account's passkey as this account's second factor", async () => {
    const cookie = await setupAdmin()
    await register(cookie, 'Laptop')
    // A second account with its own passkey.
    const invite = await json<{ token: string }>(
      await call('POST', '/api/users/invites', { cookie, body: { role: 'viewer' } }),
    )
    const joined = await call('POST', '/api/invites/accept', {
      body: { token: invite.token, username: 'friend', password: 'a long enough pass' },
    })
    const friendKey = await register(sessionCookie(joined), 'Friend phone')
    const options = await json<{ challenge: string }>(
      await call('POST', '/api/auth/passkeys/verify/options', { cookie }),
    )
    const res = await call('POST', '/api/auth/passkeys/verify', {
      cookie,
      body: await friendKey.sign(options.challenge, ORIGIN, RP_ID),
    })
    expect(await refusal(res)).toContain('not registered here')
  })
})
