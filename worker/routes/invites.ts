import { Hono } from 'hono'
import { AcceptLinkBody, LinkCheckBody } from '../../core/people-api'
import { linkByTokenHash, redeemInvite, redeemReset, type AccountLink } from '../db/people'
import { isUsernameTaken, userById } from '../db/users'
import type { AppContext, AppEnv } from '../env'
import { hashPassword } from '../crypto/passwords'
import { sha256Hex } from '../crypto/tokens'
import { audit } from '../http/audit'
import { ApiError } from '../http/errors'
import { endSessionsOf, startSession } from '../http/sessions'
import { validate } from '../http/validate'

const spent = () => new ApiError(410, 'link_used', 'This link was already used: ask for a new one.')

/** The link behind a token, if it can still be used; otherwise the error that says why not. */
async function usableLink(c: AppContext, token: string, now: number): Promise<AccountLink> {
  const link = await linkByTokenHash(c.env.DB, await sha256Hex(token))
  if (!link) {
    throw new ApiError(
      404,
      'link_invalid',
      'This link is not valid: check that it was copied whole, or ask for a new one.',
    )
  }
  if (link.usedAt !== null) throw spent()
  if (link.expiresAt <= now) {
    throw new ApiError(410, 'link_expired', 'This link has expired: ask for a new one.')
  }
  return link
}

/** The public side of invite and reset links: no session, the token is the credential. */
export const invitesRoutes = new Hono<AppEnv>()
  .post('/check', validate('json', LinkCheckBody), async (c) => {
    const link = await usableLink(c, c.req.valid('json').token, Date.now())
    const user = link.userId ? await userById(c.env.DB, link.userId) : null
    return c.json({
      kind: link.kind,
      role: link.kind === 'invite' ? link.role : (user?.role ?? null),
      username: user?.username ?? null,
      expiresAt: link.expiresAt,
    })
  })
  .post('/accept', validate('json', AcceptLinkBody), async (c) => {
    const body = c.req.valid('json')
    const now = Date.now()
    const link = await usableLink(c, body.token, now)
    const passwordHash = await hashPassword(body.password)
    if (link.kind === 'invite') {
      if (!body.username) {
        throw new ApiError(400, 'invalid_request', 'Invalid body: username: is required', {
          details: [{ path: 'username', message: 'is required' }],
        })
      }
      const id = crypto.randomUUID()
      let created: boolean
      try {
        created = await redeemInvite(
          c.env.DB,
          link,
          { id, username: body.username, passwordHash },
          now,
        )
      } catch (err) {
        if (!isUsernameTaken(err)) throw err
        throw new ApiError(409, 'username_taken', `The name ${body.username} is already taken.`, {
          details: [{ path: 'username', message: 'is already taken' }],
        })
      }
      if (!created) throw spent()
      c.set('user', {
        id,
        username: body.username,
        role: link.role ?? 'viewer',
        deploymentScope: link.deploymentScope ?? 'all',
        grants: {},
        sessionId: '',
        sessionExpiresAt: 0,
      })
      await audit(c, 'user.joined', { target: body.username, details: { role: link.role } })
      await startSession(c, id)
      return c.json({ user: { id, username: body.username } }, 201)
    }
    const user = link.userId ? await userById(c.env.DB, link.userId) : null
    if (!user) throw spent()
    // Sessions end with their live sockets; the reset ends any that start meanwhile too.
    await endSessionsOf(c, user.id, null)
    if (!(await redeemReset(c.env.DB, link, passwordHash, now))) throw spent()
    c.set('user', {
      id: user.id,
      username: user.username,
      role: user.role,
      deploymentScope: user.deploymentScope,
      grants: {},
      sessionId: '',
      sessionExpiresAt: 0,
    })
    await audit(c, 'user.password_reset', { target: user.username })
    await startSession(c, user.id)
    return c.json({ user: { id: user.id, username: user.username } })
  })
