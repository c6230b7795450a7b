import { Hono } from 'hono'
import { LoginBody } from '../../core/auth'
import { userByName, type User } from '../db/users'
import type { AppEnv } from '../env'
import { audit } from '../http/audit'
import { dummyPasswordHash, verifyPassword } from '../crypto/passwords'
import { ApiError } from '../http/errors'
import { endSession, startSession } from '../http/sessions'
import { beginAttempt, LOGIN_FAILED_ACTION } from '../http/throttle'
import { validate } from '../http/validate'

export const auth = new Hono<AppEnv>()
  .post('/login', validate('json', LoginBody), async (c) => {
    const { username, password } = c.req.valid('json')
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
    c.set('user', { id: user.id, username: user.username, sessionId: '', sessionExpiresAt: 0 })
    await startSession(c, user.id)
    await audit(c, 'auth.login', { target: user.username })
    return c.json({ user: { id: user.id, username: user.username } })
  })
  .post('/logout', async (c) => {
    const user = c.get('user')
    await endSession(c, user.sessionId)
    await audit(c, 'auth.logout', { target: user.username })
    return c.json({ ok: true })
  })
  .get('/me', (c) => {
    const { id, username } = c.get('user')
    return c.json({ user: { id, username } })
  })
