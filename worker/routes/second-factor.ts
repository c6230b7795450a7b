import { Hono } from 'hono'
import * as z from 'zod'
import {
  claimTotpStep,
  disableTotp,
  enableTotp,
  markSecondFactor,
  recoveryCodesLeft,
  setPendingTotp,
  totpOf,
  useRecoveryCode,
} from '../db/second-factor'
import type { AppContext, AppEnv } from '../env'
import { requireEncKeys } from '../crypto/enc-key'
import { decryptSecret, encryptSecret, SECRET_CONTEXTS } from '../crypto/seal'
import {
  enrolment,
  hashRecoveryCode,
  matchTotp,
  newRecoveryCodes,
  newTotpSecret,
} from '../crypto/totp'
import { audit } from '../http/audit'
import { ApiError } from '../http/errors'
import { validate } from '../http/validate'
import { readSecurityPolicy } from '../settings/security'

const CodeBody = z.object({
  code: z.string().trim().min(1, 'is required').max(16, 'is not a code'),
})
const VerifyBody = z
  .object({
    code: z.string().trim().max(16, 'is not a code').optional(),
    recoveryCode: z.string().trim().max(32, 'is not a recovery code').optional(),
  })
  .refine((b) => Boolean(b.code) !== Boolean(b.recoveryCode), {
    message: 'send either code or recoveryCode',
    path: ['code'],
  })

const wrongCode = () =>
  new ApiError(400, 'invalid_request', 'Invalid body: code: is not the current code', {
    details: [{ path: 'code', message: 'is not the current code' }],
  })

/**
 * Check a TOTP code against a sealed secret: right within ±1 step, and newer than the last code
 * accepted (a code seen once, on the wire or over a shoulder, does not work twice).
 */
async function checkCode(c: AppContext, sealed: string, code: string): Promise<number> {
  const user = c.get('user')
  const secret = await decryptSecret(
    requireEncKeys(c.env),
    sealed,
    SECRET_CONTEXTS.totpSecret,
    user.id,
  )
  const step = matchTotp(secret, code, Date.now())
  if (step === null) throw wrongCode()
  if (!(await claimTotpStep(c.env.DB, user.id, step))) {
    throw new ApiError(
      400,
      'invalid_request',
      'Invalid body: code: was already used: wait for the next one',
      {
        details: [{ path: 'code', message: 'was already used: wait for the next one' }],
      },
    )
  }
  return step
}

/** Your second factor: enrol (QR code), confirm with a first code, check, turn off. */
export const secondFactorRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const user = c.get('user')
    const row = await totpOf(c.env.DB, user.id)
    return c.json({
      enrolled: Boolean(row?.secretEnc),
      recoveryCodesLeft: row?.secretEnc ? await recoveryCodesLeft(c.env.DB, user.id) : 0,
      required: (await readSecurityPolicy(c.env.DB)).requireSecondFactor,
    })
  })
  .post('/enrol', async (c) => {
    const user = c.get('user')
    const secret = newTotpSecret()
    const sealed = await encryptSecret(
      requireEncKeys(c.env),
      secret,
      SECRET_CONTEXTS.totpSecret,
      user.id,
    )
    await setPendingTotp(c.env.DB, user.id, sealed)
    // Shown now for the app to scan (or type); kept sealed until a first code confirms it.
    return c.json({ secret, ...enrolment(secret, user.username) })
  })
  .post('/confirm', validate('json', CodeBody), async (c) => {
    const user = c.get('user')
    const row = await totpOf(c.env.DB, user.id)
    if (!row?.pendingEnc) {
      throw new ApiError(
        409,
        'no_enrolment',
        'Start the enrolment first: there is no code to confirm.',
      )
    }
    const secret = await decryptSecret(
      requireEncKeys(c.env),
      row.pendingEnc,
      SECRET_CONTEXTS.totpSecret,
      user.id,
    )
    const step = matchTotp(secret, c.req.valid('json').code, Date.now())
    if (step === null) throw wrongCode()
    const { codes, hashes } = await newRecoveryCodes()
    await enableTotp(c.env.DB, user.id, row.pendingEnc, step, hashes)
    await markSecondFactor(c.env.DB, user.sessionId, Date.now())
    await audit(c, 'auth.totp_enabled', { target: user.username })
    // The only time the recovery codes are shown.
    return c.json({ recoveryCodes: codes })
  })
  .post('/verify', validate('json', VerifyBody), async (c) => {
    const user = c.get('user')
    const body = c.req.valid('json')
    const row = await totpOf(c.env.DB, user.id)
    if (!row?.secretEnc) {
      throw new ApiError(409, 'not_enrolled', 'This account has no second factor to check.')
    }
    if (body.code) {
      await checkCode(c, row.secretEnc, body.code)
    } else if (
      !(await useRecoveryCode(c.env.DB, user.id, await hashRecoveryCode(body.recoveryCode ?? '')))
    ) {
      await audit(c, 'auth.recovery_code_refused', { target: user.username })
      throw new ApiError(
        400,
        'invalid_request',
        'Invalid body: recoveryCode: is not an unused recovery code',
        {
          details: [{ path: 'recoveryCode', message: 'is not an unused recovery code' }],
        },
      )
    }
    await markSecondFactor(c.env.DB, user.sessionId, Date.now())
    await audit(c, body.code ? 'auth.second_factor' : 'auth.recovery_code_used', {
      target: user.username,
    })
    return c.json({ ok: true, recoveryCodesLeft: await recoveryCodesLeft(c.env.DB, user.id) })
  })
  .post('/disable', validate('json', CodeBody), async (c) => {
    const user = c.get('user')
    if ((await readSecurityPolicy(c.env.DB)).requireSecondFactor) {
      throw new ApiError(
        409,
        'second_factor_required',
        'The owner requires a second factor for every account.',
      )
    }
    const row = await totpOf(c.env.DB, user.id)
    if (!row?.secretEnc)
      throw new ApiError(409, 'not_enrolled', 'This account has no second factor.')
    await checkCode(c, row.secretEnc, c.req.valid('json').code)
    await disableTotp(c.env.DB, user.id)
    await audit(c, 'auth.totp_disabled', { target: user.username })
    return c.json({ ok: true })
  })
