import { runnerByKeyHash, type RunnerIdentity } from '../db/runners'
import type { AppContext } from '../env'
import { sha256Hex } from '../crypto/tokens'
import { ApiError } from './errors'

/** The runner a request authenticated as. */
export type AuthenticatedRunner = RunnerIdentity

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
  const row = await runnerByKeyHash(c.env.DB, await sha256Hex(key))
  if (!row) {
    throw new ApiError(
      401,
      'runner_unauthorized',
      'This runner key is unknown or was revoked: register the runner again with a new code.',
    )
  }
  return row
}
