import type { AppContext } from '../env'
import { ApiError } from './errors'
import { clientIp } from './request'

/** Five failed logins for one account, or from one address, within this window → 429. */
export const LOGIN_FAILURE_LIMIT = 5
export const LOGIN_WINDOW_MS = 60_000
export const LOGIN_FAILED_ACTION = 'auth.login_failed'

/**
 * Refuse the attempt with 429 and Retry-After when the account or the address has had too many
 * failures lately. The failures are the audit rows themselves, so the count survives isolates and
 * needs no table of its own.
 */
export async function checkLoginThrottle(c: AppContext, username: string): Promise<void> {
  const now = Date.now()
  const since = now - LOGIN_WINDOW_MS
  const recent = (column: 'target' | 'ip', value: string) =>
    c.env.DB.prepare(
      `select at from audit_log where action = ?1 and ${column} = ?2 and at > ?3
       order by at desc limit ?4`,
    ).bind(LOGIN_FAILED_ACTION, value, since, LOGIN_FAILURE_LIMIT)
  const [byUser, byIp] = await c.env.DB.batch<{ at: number }>([
    recent('target', username),
    recent('ip', clientIp(c)),
  ])
  let retryAtMs = 0
  for (const rows of [byUser?.results ?? [], byIp?.results ?? []]) {
    // When the oldest of the last five leaves the window, one more try is allowed.
    const fifth = rows[LOGIN_FAILURE_LIMIT - 1]
    if (fifth) retryAtMs = Math.max(retryAtMs, fifth.at + LOGIN_WINDOW_MS)
  }
  if (retryAtMs > now) {
    const seconds = Math.max(1, Math.ceil((retryAtMs - now) / 1000))
    throw new ApiError(
      429,
      'too_many_attempts',
      `Too many failed sign-ins. Wait ${seconds} s before trying again.`,
      { headers: { 'Retry-After': String(seconds) }, details: { retryAfterSeconds: seconds } },
    )
  }
}
