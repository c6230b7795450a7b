import { tokenPrincipal } from '../../core/people'
import { tokenByHash, touchToken } from '../db/api-tokens'
import { grantsOf } from '../db/people'
import type { AppContext, SessionUser } from '../env'
import { sha256Hex } from '../crypto/tokens'
import { ApiError } from './errors'

/** Every API token starts with this, so a leaked one is recognisable (and greppable). */
export const TOKEN_PREFIX = 'pgd_'

/** `last_used_at` is written at most this often per token. */
const TOUCH_MS = 60_000

const refused = () =>
  new ApiError(
    401,
    'invalid_token',
    'This API token is not valid: it is unknown, expired or revoked.',
  )

/**
 * The account behind `Authorization: Bearer <token>`, narrowed to the token's scope. A bad
 * token is a 401 of its own: it never falls back to a cookie.
 */
export async function readApiToken(c: AppContext, presented: string): Promise<SessionUser> {
  if (!presented.startsWith(TOKEN_PREFIX) || presented.length > 128) throw refused()
  const found = await tokenByHash(c.env.DB, await sha256Hex(presented))
  const now = Date.now()
  if (!found || found.userDisabled || found.token.revokedAt !== null) throw refused()
  if (found.token.expiresAt <= now) throw refused()
  const { token, user } = found
  if (token.lastUsedAt === null || now - token.lastUsedAt >= TOUCH_MS) {
    await touchToken(c.env.DB, token.id, now)
  }
  const grants = user.deploymentScope === 'granted' ? await grantsOf(c.env.DB, user.id) : {}
  const ids = token.deploymentIdsJson ? (JSON.parse(token.deploymentIdsJson) as string[]) : null
  return {
    id: user.id,
    username: user.username,
    ...tokenPrincipal(
      { role: user.role, deploymentScope: user.deploymentScope, grants },
      token.scope,
      ids,
    ),
    sessionId: '',
    sessionExpiresAt: token.expiresAt,
    tokenName: token.name,
  }
}
