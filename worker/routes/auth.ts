import { Hono } from 'hono'
import { LoginBody } from '../../core/auth'
import { ChangePasswordBody } from '../../core/people-api'
import { passkeyCount } from '../db/passkeys'
import { deleteSessionOf, sessionsOfUser, socketsOf } from '../db/sessions'
import { setPasswordHash, userById, userByName, type User } from '../db/users'
import type { AppEnv } from '../env'
import type { AccessPass } from '../http/access-sign-in'
import { audit } from '../http/audit'
import { dummyPasswordHash, hashPassword, verifyPassword } from '../crypto/passwords'
import { ApiError, notFound } from '../http/errors'
import {
  endSession,
  endSessionsOf,
  SESSION_IDLE_MS,
  startSession,
  closeSockets,
} from '../http/sessions'
import { beginAttempt, LOGIN_FAILED_ACTION } from '../http/throttle'
import { validate } from '../http/validate'

/**
 * Under Cloudflare Access the password form works only while the owner keeps it on, and only for
 * the account Access signed in (any other session would not count: http/access-sign-in.ts).
 */
function refuseUnderAccess(access: AccessPass | null, username: string): void {
  if (!access) return
  if (!access.settings.passwordSignIn) {
    throw new ApiError(
      403,
      'password_sign_in_off',
      'Password sign-in is turned off: this dashboard signs you in through Cloudflare Access. Reload the page.',
    )
  }
  if (username !== access.email) {
    throw new ApiError(
      403,
      'access_mismatch',
      `Cloudflare Access signed you in as ${access.email}: sign in with that account.`,
    )
  }
}

export const auth = new Hono<AppEnv>()
  .post('/login', validate('json', LoginBody), async (c) => {
    const { username, password } = c.req.valid('json')
    refuseUnderAccess(c.get('access'), username)
    // Atomic per account and per address (do/login-throttle.ts): a try is checked only once the
    // wait left by earlier failures is over, and only one at a time.
    const attempt = await beginAttempt(c, username)
    let user: User | null
    let ok: boolean
    try {
      user = await userByName(c.env.DB, username)
      // Unknown users cost the same PBKDF2 work as known ones: no enumeration by timing.
      ok = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()))
    } catch (err) {
      await attempt.abandoned()
      throw err
    }
    if (!user || !ok) {
      await attempt.failed()
      await audit(c, LOGIN_FAILED_ACTION, { target: username, actor: 'anonymous' })
      throw new ApiError(401, 'invalid_credentials', 'Wrong username or password.')
    }
    await attempt.succeeded()
    if (user.disabledAt !== null) {
      await audit(c, 'auth.login_disabled', { target: user.username, actor: 'anonymous' })
      throw new ApiError(403, 'account_disabled', 'This account is disabled: ask an admin.')
    }
    c.set('user', {
      id: user.id,
      username: user.username,
      role: user.role,
      deploymentScope: user.deploymentScope,
      grants: {},
      sessionId: '',
      sessionExpiresAt: 0,
    })
    // With a second factor, the password opens a session that can only check it.
    const secondFactors = {
      totp: user.totpSecretEnc !== null,
      passkey: (await passkeyCount(c.env.DB, user.id)) > 0,
    }
    const secondFactorRequired = secondFactors.totp || secondFactors.passkey
    await startSession(c, user.id, { pendingSecondFactor: secondFactorRequired })
    await audit(c, 'auth.login', { target: user.username, details: { secondFactorRequired } })
    return c.json({
      user: { id: user.id, username: user.username },
      secondFactorRequired,
      secondFactors,
    })
  })
  .post('/logout', async (c) => {
    const user = c.get('user')
    await endSession(c, user.sessionId)
    await audit(c, 'auth.logout', { target: user.username })
    return c.json({ ok: true })
  })
  .get('/me', (c) => {
    const { id, username, role, deploymentScope, grants, secondFactor } = c.get('user')
    return c.json({ user: { id, username, role, deploymentScope, grants, secondFactor } })
  })
  .post('/password', validate('json', ChangePasswordBody), async (c) => {
    const { current, next } = c.req.valid('json')
    const me = c.get('user')
    const user = await userById(c.env.DB, me.id)
    if (!user || !(await verifyPassword(current, user.passwordHash))) {
      throw new ApiError(400, 'invalid_request', 'Invalid body: current: is not your password', {
        details: [{ path: 'current', message: 'is not your password' }],
      })
    }
    await setPasswordHash(c.env.DB, me.id, await hashPassword(next))
    // Everywhere else is signed out; this browser gets a fresh session.
    await endSessionsOf(c, me.id, null)
    await startSession(c, me.id)
    await audit(c, 'auth.password_changed', { target: me.username })
    return c.json({ ok: true })
  })
  .get('/sessions', async (c) => {
    const me = c.get('user')
    const list = await sessionsOfUser(c.env.DB, me.id, Date.now(), SESSION_IDLE_MS)
    return c.json({ sessions: list.map((s) => ({ ...s, current: s.id === me.sessionId })) })
  })
  .post('/sessions/end-others', async (c) => {
    const me = c.get('user')
    await endSessionsOf(c, me.id, me.sessionId)
    await audit(c, 'auth.other_sessions_ended', { target: me.username })
    return c.json({ ok: true })
  })
  .delete('/sessions/:id', async (c) => {
    const me = c.get('user')
    const id = c.req.param('id')
    const sockets = await socketsOf(c.env.DB, [id])
    if (!(await deleteSessionOf(c.env.DB, me.id, id))) throw notFound('Session')
    await closeSockets(
      c,
      sockets.filter((s) => s.sessionId === id),
    )
    await audit(c, 'auth.session_ended', { target: me.username })
    return c.json({ ok: true })
  })
