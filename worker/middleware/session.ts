import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../env'
import { unauthorized } from '../lib/errors'
import { readSession } from '../lib/sessions'

/**
 * Routes reachable without a session. Everything else under /api needs one (default deny), and
 * a test walks the route table to prove it. Runner routes authenticate with the runner key
 * instead and are listed here for that reason only.
 */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set([
  'GET /api/health',
  'GET /api/setup',
  'POST /api/setup',
  'POST /api/auth/login',
])

/** Paths under which the runner authenticates with its own key, not a session. */
export const RUNNER_PREFIX = '/api/runner/'

export const requireSession = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const path = new URL(c.req.url).pathname
  if (PUBLIC_ROUTES.has(`${c.req.method} ${path}`) || path.startsWith(RUNNER_PREFIX)) {
    return next()
  }
  const user = await readSession(c)
  if (!user) throw unauthorized()
  c.set('user', user)
  await next()
}
