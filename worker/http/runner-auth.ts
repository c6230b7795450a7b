import type { AppContext } from '../env'
import { sha256Hex } from '../crypto/tokens'
import { ApiError } from './errors'

export interface AuthenticatedRunner {
  id: string
  name: string
}

/**
 * The runner behind `Authorization: Bearer <key>`. The server keeps only the key's hash; a revoked
 * runner's hash is cleared, so its key stops working at once.
 */
export async function requireRunner(c: AppContext): Promise<AuthenticatedRunner> {
  const header = c.req.header('authorization') ?? ''
  const key = /^Bearer ([A-Za-z0-9_-]{20,200})$/.exec(header)?.[1]
  if (!key) {
    throw new ApiError(
      401,
      'runner_unauthorized',
      'Send the runner key as `Authorization: Bearer <key>`.',
    )
  }
  const row = await c.env.DB.prepare(
    'select id, name from runners where key_hash = ?1 and revoked_at is null',
  )
    .bind(await sha256Hex(key))
    .first<AuthenticatedRunner>()
  if (!row) {
    throw new ApiError(
      401,
      'runner_unauthorized',
      'This runner key is unknown or was revoked: register the runner again with a new code.',
    )
  }
  return row
}
