import { Hono } from 'hono'
import { encodeBase64urlNoPadding } from '@oslojs/encoding'
import * as z from 'zod'
import type { AppContext, AppEnv } from '../env'
import {
  deletePasskey,
  insertPasskey,
  passkeyByCredential,
  passkeyCount,
  passkeysOf,
  recordPasskeyUse,
  renamePasskey,
  spendChallenge,
  storeChallenge,
  CHALLENGE_TTL_MS,
} from '../db/passkeys'
import { markSecondFactor, totpOf } from '../db/second-factor'
import { userById } from '../db/users'
import {
  challengeKey,
  checkClientData,
  fromB64url,
  newChallenge,
  relyingPartyOf,
  SUPPORTED_ALGORITHMS,
  verifyAssertion,
  verifyRegistration,
  WebAuthnError,
} from '../crypto/webauthn'
import { audit } from '../http/audit'
import { ApiError, notFound } from '../http/errors'
import { startSession } from '../http/sessions'
import { validate } from '../http/validate'
import { readSecurityPolicy } from '../settings/security'

/**
 * Passkeys (WebAuthn). A passkey does two jobs:
 * - **passwordless sign-in**: a discoverable passkey with user verification (PIN or biometrics on
 *   the device) is two factors in itself (something held, something known or been), so it opens
 *   a full session that counts as having just proved a second factor;
 * - **second factor**: after a password, and for the recent-second-factor check before sensitive
 *   actions, a touch of any of the account's passkeys does what a TOTP code does.
 * Challenges are stored server-side (hashed), single use, and live CHALLENGE_TTL_MS.
 */

const B64 = (field: string) =>
  z
    .string({ error: 'is required' })
    .min(1, 'is required')
    .max(16_384, 'is too long')
    .regex(/^[A-Za-z0-9_-]+={0,2}$/, 'must be base64url')
    .describe(field)

const PasskeyName = z
  .string({ error: 'is required' })
  .trim()
  .min(1, 'is required')
  .max(64, 'must be at most 64 characters')

const RegisterBody = z.object({
  name: PasskeyName,
  attestationObject: B64('attestationObject'),
  clientDataJSON: B64('clientDataJSON'),
})
const RenameBody = z.object({ name: PasskeyName })
const AssertionBody = z.object({
  credentialId: B64('credentialId'),
  authenticatorData: B64('authenticatorData'),
  clientDataJSON: B64('clientDataJSON'),
  signature: B64('signature'),
  userHandle: z.string().max(512, 'is too long').nullish(),
})
type AssertionBody = z.infer<typeof AssertionBody>

const refused = (message: string) => new ApiError(400, 'passkey_refused', message)

function webauthnRefusal(err: unknown): never {
  if (err instanceof WebAuthnError) throw refused(`Passkey refused: ${err.message}.`)
  throw err
}

const challengeGone = () =>
  refused('Passkey refused: the challenge is unknown, already used or expired. Try again.')

/** Challenge options as the browser's navigator.credentials wants them (binary as base64url). */
async function issueChallenge(
  c: AppContext,
  purpose: 'register' | 'login' | 'verify',
  userId: string | null,
) {
  const { challenge, key } = newChallenge()
  await storeChallenge(c.env.DB, key, purpose, userId, Date.now())
  return { challenge, rpId: relyingPartyOf(c.req.url).id, timeout: CHALLENGE_TTL_MS }
}

/**
 * Check an assertion end to end: client data (type, origin), the challenge spent once, the
 * credential known (and the account's own when `userId` is given), signature and counter.
 */
async function checkAssertion(
  c: AppContext,
  body: AssertionBody,
  purpose: 'login' | 'verify',
  userId: string | null,
) {
  const rp = relyingPartyOf(c.req.url)
  try {
    const clientDataJSON = fromB64url(body.clientDataJSON, 'clientDataJSON')
    const clientData = checkClientData(clientDataJSON, 'get', rp)
    const spent = await spendChallenge(
      c.env.DB,
      challengeKey(clientData.challenge),
      purpose,
      userId,
      Date.now(),
    )
    if (!spent) throw challengeGone()
    const credential = await passkeyByCredential(c.env.DB, body.credentialId.replace(/=+$/, ''))
    if (!credential || (userId !== null && credential.userId !== userId)) {
      throw refused('Passkey refused: this passkey is not registered here.')
    }
    const { counter, publicKey } = verifyAssertion(
      {
        authenticatorData: fromB64url(body.authenticatorData, 'authenticatorData'),
        clientDataJSON,
        signature: fromB64url(body.signature, 'signature'),
      },
      credential,
      rp,
      { userVerification: purpose === 'login' },
    )
    const at = Date.now()
    const recorded = await recordPasskeyUse(
      c.env.DB,
      credential.id,
      credential.counter,
      counter,
      at,
      publicKey,
    )
    if (!recorded)
      throw refused('Passkey refused: the passkey counter went backwards: it may have been copied.')
    return credential
  } catch (err) {
    await audit(c, 'auth.passkey_refused', {
      actor: userId === null ? 'anonymous' : undefined,
      details: { reason: err instanceof Error ? err.message : String(err) },
    })
    webauthnRefusal(err)
  }
}

/** Your passkeys: register, list, rename, remove, and use one as a second factor. */
export const passkeysRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const list = await passkeysOf(c.env.DB, c.get('user').id)
    return c.json({ passkeys: list.map(({ credentialId: _, ...p }) => p) })
  })
  .post('/register/options', async (c) => {
    const user = c.get('user')
    const existing = await passkeysOf(c.env.DB, user.id)
    return c.json({
      ...(await issueChallenge(c, 'register', user.id)),
      rpName: 'Proxmox Game Deployer',
      user: {
        id: encodeBase64urlNoPadding(new TextEncoder().encode(user.id)),
        name: user.username,
      },
      algorithms: SUPPORTED_ALGORITHMS,
      // The browser refuses to register the same authenticator twice for one account.
      excludeCredentials: existing.map((p) => p.credentialId),
    })
  })
  .post('/', validate('json', RegisterBody), async (c) => {
    const user = c.get('user')
    const body = c.req.valid('json')
    const rp = relyingPartyOf(c.req.url)
    let credential
    try {
      const clientData = checkClientData(
        fromB64url(body.clientDataJSON, 'clientDataJSON'),
        'create',
        rp,
      )
      const spent = await spendChallenge(
        c.env.DB,
        challengeKey(clientData.challenge),
        'register',
        user.id,
        Date.now(),
      )
      if (!spent) throw challengeGone()
      credential = verifyRegistration(fromB64url(body.attestationObject, 'attestationObject'), rp)
    } catch (err) {
      webauthnRefusal(err)
    }
    if (await passkeyByCredential(c.env.DB, credential.credentialId)) {
      throw new ApiError(409, 'passkey_exists', 'This passkey is already registered.')
    }
    const id = crypto.randomUUID()
    await insertPasskey(c.env.DB, { id, userId: user.id, name: body.name, ...credential })
    // Registering proves the device is at hand: it counts as a fresh second factor.
    await markSecondFactor(c.env.DB, user.sessionId, Date.now())
    await audit(c, 'auth.passkey_added', { target: user.username, details: { name: body.name } })
    return c.json({ passkey: { id, name: body.name } }, 201)
  })
  .patch('/:id', validate('json', RenameBody), async (c) => {
    const user = c.get('user')
    const { name } = c.req.valid('json')
    if (!(await renamePasskey(c.env.DB, user.id, c.req.param('id'), name)))
      throw notFound('Passkey')
    await audit(c, 'auth.passkey_renamed', { target: user.username, details: { name } })
    return c.json({ ok: true })
  })
  .delete('/:id', async (c) => {
    const user = c.get('user')
    if ((await readSecurityPolicy(c.env.DB)).requireSecondFactor) {
      const totp = await totpOf(c.env.DB, user.id)
      if (!totp?.secretEnc && (await passkeyCount(c.env.DB, user.id)) <= 1) {
        throw new ApiError(
          409,
          'second_factor_required',
          'The owner requires a second factor for every account: this is your last one.',
        )
      }
    }
    if (!(await deletePasskey(c.env.DB, user.id, c.req.param('id')))) throw notFound('Passkey')
    await audit(c, 'auth.passkey_removed', { target: user.username })
    return c.json({ ok: true })
  })
  .post('/verify/options', async (c) => {
    const user = c.get('user')
    const list = await passkeysOf(c.env.DB, user.id)
    if (list.length === 0) throw new ApiError(409, 'not_enrolled', 'This account has no passkey.')
    return c.json({
      ...(await issueChallenge(c, 'verify', user.id)),
      allowCredentials: list.map((p) => p.credentialId),
    })
  })
  .post('/verify', validate('json', AssertionBody), async (c) => {
    const user = c.get('user')
    await checkAssertion(c, c.req.valid('json'), 'verify', user.id)
    await markSecondFactor(c.env.DB, user.sessionId, Date.now())
    await audit(c, 'auth.second_factor', { target: user.username, details: { method: 'passkey' } })
    return c.json({ ok: true })
  })

/** Passwordless sign-in with a discoverable passkey (see passkeysRoutes). */
export const passkeyLoginRoutes = new Hono<AppEnv>()
  .post('/options', async (c) => c.json(await issueChallenge(c, 'login', null)))
  .post('/', validate('json', AssertionBody), async (c) => {
    const credential = await checkAssertion(c, c.req.valid('json'), 'login', null)
    const user = await userById(c.env.DB, credential.userId)
    if (!user) throw refused('Passkey refused: this passkey is not registered here.')
    if (user.disabledAt !== null) {
      await audit(c, 'auth.login_disabled', { target: user.username, actor: 'anonymous' })
      throw new ApiError(403, 'account_disabled', 'This account is disabled: ask an admin.')
    }
    await startSession(c, user.id, { secondFactorAt: Date.now() })
    await audit(c, 'auth.login', {
      target: user.username,
      actor: user.username,
      userId: user.id,
      details: { method: 'passkey' },
    })
    return c.json({ user: { id: user.id, username: user.username } })
  })
