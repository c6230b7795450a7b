import { decodeBase32IgnorePadding } from '@oslojs/encoding'
import { generateTOTP } from '@oslojs/otp'
import { describe, expect, it } from 'vitest'
import { app } from '../../worker/app'
import { decryptSecret, keyId, SECRET_CONTEXTS } from '../../worker/crypto/seal'
import { openInputs } from '../../worker/lib/game-secrets'
import type { StoredInputs } from '../../worker/db/deployments'
import { loadProxmoxConnection } from '../../worker/settings/proxmox'
import { configureProxmox, createDeployment, MINECRAFT, PROXMOX } from './engine-helpers'
import { call, env, json, ORIGIN, setupAdmin } from './helpers'

const OLD_KEY = env.APP_ENC_KEY
const NEW_KEY = 'the-next-app-enc-key-0123456789abcdefghijklmnop'

async function inputsOf(id: string): Promise<StoredInputs> {
  const row = await env.DB.prepare('select inputs_json from deployments where id = ?1')
    .bind(id)
    .first<{ inputs_json: string }>()
  return JSON.parse(row?.inputs_json ?? '{}') as StoredInputs
}

/** Two deployments with a generated RCON password each, sealed. */
async function twoDeployments(cookie: string) {
  const config = { ...MINECRAFT, rconEnabled: true }
  const a = await createDeployment(cookie, { name: 'alpha', config })
  const b = await createDeployment(cookie, { name: 'bravo', config })
  return { a, b }
}

/**
 * A value sealed as the previous format did (`v1.<iv>.<ct>`: AES-256-GCM under HKDF(APP_ENC_KEY),
 * bound to its context only), to prove such rows stay readable.
 */
async function sealV1(secret: string, plaintext: string, context: string): Promise<string> {
  const te = new TextEncoder()
  const material = await crypto.subtle.importKey('raw', te.encode(secret), 'HKDF', false, [
    'deriveKey',
  ])
  const key = await crypto.subtle.deriveKey(
    {
      name: 'HKDF',
      hash: 'SHA-256',
      salt: te.encode('proxmox-game-deployer/settings'),
      info: te.encode('aes-256-gcm v1'),
    },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt'],
  )
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const ct = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: te.encode(context) },
      key,
      te.encode(plaintext),
    ),
  )
  const b64 = (u: Uint8Array) => btoa(String.fromCharCode(...u))
  return `v1.${b64(iv)}.${b64(ct)}`
}

/** The API with other secrets than the test worker's, as after `wrangler secret put`. */
function withKeys(keys: { APP_ENC_KEY: string; APP_ENC_KEY_PREVIOUS?: string }) {
  const e = { ...env, ...keys }
  return {
    env: e,
    call: (method: string, path: string, cookie: string) =>
      app.request(
        `${ORIGIN}${path}`,
        { method, headers: { cookie, origin: ORIGIN, 'cf-connecting-ip': '203.0.113.7' } },
        e,
      ),
  }
}

describe('sealed secrets', () => {
  it('name their key and bind a deployment’s secrets to it: copied to another, they do not open', async () => {
    const cookie = await setupAdmin()
    await configureProxmox(cookie)
    const { a, b } = await twoDeployments(cookie)
    const inputsA = await inputsOf(a.id)
    expect(inputsA.gameSecretsEnc).toMatch(
      new RegExp(`^v2\\.${await keyId(OLD_KEY)}\\.[A-Za-z0-9+/=]+\\.[A-Za-z0-9+/=]+$`),
    )
    expect((await openInputs(env, 'minecraft', inputsA)).gameSecrets.rconPassword).toBeTruthy()
    // Someone with write access to D1 copies A's sealed secrets into B's row.
    await env.DB.prepare(
      `update deployments set inputs_json = json_set(inputs_json, '$.gameSecretsEnc', ?2) where id = ?1`,
    )
      .bind(b.id, inputsA.gameSecretsEnc)
      .run()
    await expect(openInputs(env, 'minecraft', await inputsOf(b.id))).rejects.toThrow()
  })

  it('will not open the Proxmox token once its destination was changed outside the dashboard', async () => {
    const cookie = await setupAdmin()
    await configureProxmox(cookie)
    await env.DB.prepare(
      `update settings set value_json = json_set(value_json, '$.apiUrl', 'https://attacker.example:8006')
       where key = 'proxmox'`,
    ).run()
    const res = await call('POST', '/api/settings/proxmox/test', { cookie })
    expect(res.status).toBe(409)
    expect(await json(res)).toMatchObject({ error: { code: 'token_secret_unreadable' } })
  })

  it('still opens values of the previous format (v1), and seals them again as v2', async () => {
    const cookie = await setupAdmin()
    await configureProxmox(cookie)
    const { a } = await twoDeployments(cookie)
    const plain = JSON.stringify({ rconPassword: 'legacy-rcon-password' })
    const legacy = await sealV1(OLD_KEY, plain, SECRET_CONTEXTS.gameSecrets)
    await env.DB.prepare(
      `update deployments set inputs_json = json_set(inputs_json, '$.gameSecretsEnc', ?2) where id = ?1`,
    )
      .bind(a.id, legacy)
      .run()
    await env.DB.prepare(
      `update settings set value_json = json_set(value_json, '$.tokenSecretEnc', ?1) where key = 'proxmox'`,
    )
      .bind(await sealV1(OLD_KEY, PROXMOX.tokenSecret, SECRET_CONTEXTS.proxmoxTokenSecret))
      .run()
    expect((await openInputs(env, 'minecraft', await inputsOf(a.id))).gameSecrets).toEqual({
      rconPassword: 'legacy-rcon-password',
    })
    expect((await loadProxmoxConnection(env))?.tokenSecret).toBe(PROXMOX.tokenSecret)

    const status = await json<{ encryption: { sealed: { current: number; older: number } } }>(
      await call('GET', '/api/settings/encryption', { cookie }),
    )
    expect(status.encryption.sealed).toEqual({ current: 1, older: 2 })
    const res = await call('POST', '/api/settings/encryption/reseal', { cookie })
    expect(await json(res)).toMatchObject({
      resealed: 2,
      failed: [],
      encryption: { sealed: { current: 3, older: 0 } },
    })
    expect((await inputsOf(a.id)).gameSecretsEnc).toMatch(/^v2\./)
    expect((await openInputs(env, 'minecraft', await inputsOf(a.id))).gameSecrets).toEqual({
      rconPassword: 'legacy-rcon-password',
    })
    expect((await loadProxmoxConnection(env))?.tokenSecret).toBe(PROXMOX.tokenSecret)
  })

  it('rotates APP_ENC_KEY: the old key only opens, reseal moves everything, then it can go', async () => {
    const cookie = await setupAdmin()
    await configureProxmox(cookie)
    const { a, b } = await twoDeployments(cookie)
    const secretsBefore = (await openInputs(env, 'minecraft', await inputsOf(a.id))).gameSecrets

    // The new key alone cannot open what the old one sealed, and says what to do.
    const newOnly = withKeys({ APP_ENC_KEY: NEW_KEY })
    const refused = await newOnly.call('POST', '/api/settings/proxmox/test', cookie)
    expect(refused.status).toBe(409)
    expect(await json(refused)).toMatchObject({
      error: {
        code: 'token_secret_unreadable',
        message: expect.stringContaining('APP_ENC_KEY_PREVIOUS'),
      },
    })

    const rotating = withKeys({ APP_ENC_KEY: NEW_KEY, APP_ENC_KEY_PREVIOUS: OLD_KEY })
    expect((await loadProxmoxConnection(rotating.env))?.tokenSecret).toBe(PROXMOX.tokenSecret)
    const before = await json<{ encryption: Record<string, unknown> }>(
      await rotating.call('GET', '/api/settings/encryption', cookie),
    )
    expect(before.encryption).toEqual({
      keyId: await keyId(NEW_KEY),
      previousKeySet: true,
      sealed: { current: 0, older: 3 },
    })
    const res = await rotating.call('POST', '/api/settings/encryption/reseal', cookie)
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ resealed: 3, failed: [] })

    // APP_ENC_KEY_PREVIOUS removed: everything opens with the new key alone.
    expect((await loadProxmoxConnection(newOnly.env))?.tokenSecret).toBe(PROXMOX.tokenSecret)
    for (const id of [a.id, b.id]) {
      const opened = await openInputs(newOnly.env, 'minecraft', await inputsOf(id))
      expect(Object.keys(opened.gameSecrets)).toEqual(['rconPassword'])
    }
    expect((await openInputs(newOnly.env, 'minecraft', await inputsOf(a.id))).gameSecrets).toEqual(
      secretsBefore,
    )
    // …and no longer with the old one.
    await expect(loadProxmoxConnection(env)).rejects.toThrow()
    const audit = await env.DB.prepare(
      `select details_json from audit_log where action = 'settings.secrets_resealed'`,
    ).first<{ details_json: string }>()
    expect(JSON.parse(audit?.details_json ?? '{}')).toEqual({ resealed: 3, failed: [] })
  })

  it('seals the accounts’ TOTP secrets again too, so codes still work with the new key alone', async () => {
    const cookie = await setupAdmin()
    const start = await json<{ secret: string }>(
      await call('POST', '/api/auth/totp/enrol', { cookie }),
    )
    const confirmed = await call('POST', '/api/auth/totp/confirm', {
      cookie,
      body: { code: generateTOTP(decodeBase32IgnorePadding(start.secret), 30, 6) },
    })
    expect(confirmed.status).toBe(200)
    const rotating = withKeys({ APP_ENC_KEY: NEW_KEY, APP_ENC_KEY_PREVIOUS: OLD_KEY })
    const before = await json<{ encryption: { sealed: unknown } }>(
      await rotating.call('GET', '/api/settings/encryption', cookie),
    )
    expect(before.encryption.sealed).toEqual({ current: 0, older: 1 })
    const res = await rotating.call('POST', '/api/settings/encryption/reseal', cookie)
    expect(await json(res)).toMatchObject({ resealed: 1, failed: [] })
    const row = await env.DB.prepare('select id, totp_secret_enc from users').first<{
      id: string
      totp_secret_enc: string
    }>()
    const newOnly = { current: NEW_KEY, previous: null }
    await expect(
      decryptSecret(newOnly, row?.totp_secret_enc ?? '', SECRET_CONTEXTS.totpSecret, row?.id ?? ''),
    ).resolves.toBe(start.secret)
  })
})
