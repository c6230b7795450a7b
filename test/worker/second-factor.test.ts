import { decodeBase32IgnorePadding } from '@oslojs/encoding'
import { generateHOTP } from '@oslojs/otp'
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { ADMIN, call, json, sessionCookie, setupAdmin } from './helpers'
import { accountAs } from './people-helpers'

/** The code an authenticator app shows `offset` steps from now (RFC 6238, 30 s, 6 digits). */
function codeAt(secret: string, offset = 0): string {
  const step = Math.floor(Date.now() / 30_000) + offset
  return generateHOTP(decodeBase32IgnorePadding(secret), BigInt(step), 6)
}

/** Stay clear of a step boundary, so "now" is the same step here and in the worker. */
async function midStep(): Promise<void> {
  const into = Date.now() % 30_000
  if (into > 27_000 || into < 1_000) await new Promise((r) => setTimeout(r, 4_000))
}

async function enrol(cookie: string): Promise<{ secret: string; recoveryCodes: string[] }> {
  const start = await json<{ secret: string; uri: string; qrSvg: string }>(
    await call('POST', '/api/auth/totp/enrol', { cookie }),
  )
  expect(start.uri).toMatch(/^otpauth:\/\/totp\/.*secret=/)
  expect(start.qrSvg).toMatch(/^<svg[\s\S]*<\/svg>$/)
  await midStep()
  const confirm = await call('POST', '/api/auth/totp/confirm', {
    cookie,
    body: { code: codeAt(start.secret) },
  })
  expect(confirm.status).toBe(200)
  const { recoveryCodes } = await json<{ recoveryCodes: string[] }>(confirm)
  return { secret: start.secret, recoveryCodes }
}

async function login(): Promise<{ cookie: string; body: Record<string, unknown> }> {
  const res = await call('POST', '/api/auth/login', { body: ADMIN })
  expect(res.status).toBe(200)
  return { cookie: sessionCookie(res), body: await json(res) }
}

const verify = (cookie: string, body: Record<string, string>) =>
  call('POST', '/api/auth/totp/verify', { cookie, body })

describe('TOTP', () => {
  it('enrols with a QR code, seals the secret and gives 10 recovery codes once', async () => {
    const cookie = await setupAdmin()
    const { secret, recoveryCodes } = await enrol(cookie)
    expect(recoveryCodes).toHaveLength(10)
    expect(new Set(recoveryCodes).size).toBe(10)
    const dump = JSON.stringify([
      await env.DB.prepare('SELECT * FROM users').all(),
      await env.DB.prepare('SELECT * FROM recovery_codes').all(),
    ])
    expect(dump).not.toContain(secret)
    for (const code of recoveryCodes) expect(dump).not.toContain(code)
    const status = await json(await call('GET', '/api/auth/totp', { cookie }))
    expect(status).toMatchObject({ enrolled: true, recoveryCodesLeft: 10 })
  })

  it('asks for the code after the password, within ±1 step, and refuses a replay', async () => {
    const cookie = await setupAdmin()
    const { secret } = await enrol(cookie)
    const { cookie: pending, body } = await login()
    expect(body).toMatchObject({ secondFactorRequired: true })
    const blocked = await call('GET', '/api/deployments', { cookie: pending })
    expect(blocked.status).toBe(401)
    expect(await json(blocked)).toMatchObject({ error: { code: 'second_factor_required' } })
    await midStep()
    // Two steps ahead is outside the window; the code of the step enrolment used is spent.
    expect((await verify(pending, { code: codeAt(secret, 2) })).status).toBe(400)
    const replay = await verify(pending, { code: codeAt(secret, 0) })
    expect(replay.status).toBe(400)
    expect(await replay.text()).toContain('already used')
    // One step ahead (a phone whose clock runs fast) is accepted, once.
    expect((await verify(pending, { code: codeAt(secret, 1) })).status).toBe(200)
    expect((await call('GET', '/api/deployments', { cookie: pending })).status).toBe(200)
    expect((await verify(pending, { code: codeAt(secret, 1) })).status).toBe(400)
  })

  it('accepts the code of the step before now on a fresh enrolment', async () => {
    const cookie = await setupAdmin()
    const start = await json<{ secret: string }>(
      await call('POST', '/api/auth/totp/enrol', { cookie }),
    )
    await midStep()
    const res = await call('POST', '/api/auth/totp/confirm', {
      cookie,
      body: { code: codeAt(start.secret, -1) },
    })
    expect(res.status).toBe(200)
  })

  it('takes each recovery code once instead of a code', async () => {
    const cookie = await setupAdmin()
    const { recoveryCodes } = await enrol(cookie)
    const { cookie: pending } = await login()
    const first = recoveryCodes[0] ?? ''
    // Typed in lower case without its dash: still the same code.
    const ok = await verify(pending, { recoveryCode: first.replace('-', '').toLowerCase() })
    expect(ok.status).toBe(200)
    expect(await json(ok)).toMatchObject({ recoveryCodesLeft: 9 })
    const { cookie: again } = await login()
    expect((await verify(again, { recoveryCode: first })).status).toBe(400)
    expect((await call('GET', '/api/deployments', { cookie: again })).status).toBe(401)
  })

  it('asks for a recent code before a sensitive action', async () => {
    const cookie = await setupAdmin()
    const { secret } = await enrol(cookie)
    await env.DB.prepare('UPDATE sessions SET second_factor_at = ?')
      .bind(Date.now() - 16 * 60_000)
      .run()
    const policy = { mode: 'manual', failedAfterHours: 24 }
    const stale = await call('PUT', '/api/settings/cleanup', { cookie, body: policy })
    expect(stale.status).toBe(403)
    expect(await json(stale)).toMatchObject({ error: { code: 'recent_second_factor_required' } })
    // Reading is not sensitive.
    expect((await call('GET', '/api/settings/cleanup', { cookie })).status).toBe(200)
    await midStep()
    expect((await verify(cookie, { code: codeAt(secret, 1) })).status).toBe(200)
    const fresh = await call('PUT', '/api/settings/cleanup', { cookie, body: policy })
    expect(fresh.status).not.toBe(403)
  })

  it('lets the owner require a second factor of everyone', async () => {
    const owner = await setupAdmin()
    const viewer = await accountAs('viewer')
    const admin = await accountAs('admin')
    const byAdmin = await call('PUT', '/api/settings/security', {
      cookie: admin.cookie,
      body: { requireSecondFactor: true },
    })
    expect(byAdmin.status).toBe(403)
    const set = await call('PUT', '/api/settings/security', {
      cookie: owner,
      body: { requireSecondFactor: true },
    })
    expect(set.status).toBe(200)
    const res = await call('GET', '/api/deployments', { cookie: viewer.cookie })
    expect(res.status).toBe(403)
    expect(await json(res)).toMatchObject({ error: { code: 'second_factor_enrolment_required' } })
    // Enrolling is what the account may still do, and then it is let in.
    await enrol(viewer.cookie)
    expect((await call('GET', '/api/deployments', { cookie: viewer.cookie })).status).toBe(200)
  })
})
