import type { MiddlewareHandler } from 'hono'
import { matchedRoutes } from 'hono/route'
import { allows, deploymentAccess, type Permission } from '../../core/people'
import type { AppContext, AppEnv, SessionUser } from '../env'
import { ApiError, notFound, unauthorized } from './errors'
import { readApiToken } from './api-tokens'
import { accessPass, sessionUnderAccess, type AccessPass } from './access-sign-in'
import { readSession } from './sessions'

/**
 * The one place that says who may call what. Every API route, websocket upgrades included, is
 * looked up here by its registered pattern and method before its handler runs; a route with no
 * entry is refused (fail closed), and test/worker/authorize.test.ts walks the app's route table
 * so a new route without an entry fails the build instead of shipping open.
 *
 * Routes under `/api/deployments/:id/` need no entry of their own: a GET needs `view` on that
 * deployment, anything else `operate`. List one here only to ask for something else.
 */
export const ROUTE_RULES: Readonly<Record<string, Permission>> = {
  'GET /api/health': 'public',
  'GET /api/setup': 'public',
  'POST /api/setup': 'public',
  'POST /api/auth/login': 'public',
  'POST /api/invites/check': 'public',
  'POST /api/invites/accept': 'public',
  'POST /api/auth/passkey-login/options': 'public',
  'POST /api/auth/passkey-login': 'public',

  // The runner authenticates with its own key inside these handlers.
  'POST /api/runner/register': 'runner',
  'GET /api/runner/connect': 'runner',
  'GET /api/runner/deployments/:deploymentId/jobs/:jobId/connect': 'runner',

  'POST /api/auth/logout': 'signedIn',
  'GET /api/auth/me': 'signedIn',
  'POST /api/auth/password': 'session',
  'GET /api/auth/sessions': 'session',
  'DELETE /api/auth/sessions/:id': 'session',
  'POST /api/auth/sessions/end-others': 'session',
  'GET /api/auth/totp': 'session',
  'POST /api/auth/totp/enrol': 'session',
  'POST /api/auth/totp/confirm': 'session',
  'POST /api/auth/totp/verify': 'session',
  'POST /api/auth/totp/disable': 'session',
  'GET /api/auth/passkeys': 'session',
  'POST /api/auth/passkeys/register/options': 'session',
  'POST /api/auth/passkeys': 'session',
  'PATCH /api/auth/passkeys/:id': 'session',
  'DELETE /api/auth/passkeys/:id': 'session',
  'POST /api/auth/passkeys/verify/options': 'session',
  'POST /api/auth/passkeys/verify': 'session',
  'GET /api/tokens': 'session',
  'POST /api/tokens': 'session',
  'DELETE /api/tokens/:id': 'session',

  'GET /api/games': 'read',
  'GET /api/capacity': 'read',
  'GET /api/deployments': 'read',
  'GET /api/deployments/:id': 'deployment:view',
  'POST /api/deployments': 'create',

  'GET /api/settings/proxmox': 'admin',
  'PUT /api/settings/proxmox': 'admin',
  'POST /api/settings/proxmox/test': 'admin',
  'GET /api/settings/cleanup': 'admin',
  'PUT /api/settings/cleanup': 'admin',
  'GET /api/settings/schedules': 'admin',
  'PUT /api/settings/schedules': 'admin',
  'GET /api/settings/security': 'admin',
  'PUT /api/settings/security': 'admin',
  'GET /api/settings/access': 'admin',
  'PUT /api/settings/access': 'admin',
  'GET /api/settings/encryption': 'admin',
  'POST /api/settings/encryption/reseal': 'admin',
  'GET /api/alerts/channels': 'admin',
  'POST /api/alerts/channels': 'admin',
  'PUT /api/alerts/channels/:id': 'admin',
  'DELETE /api/alerts/channels/:id': 'admin',
  'POST /api/alerts/channels/:id/test': 'admin',
  'GET /api/alerts/timing': 'admin',
  'PUT /api/alerts/timing': 'admin',
  'GET /api/audit': 'admin',
  'GET /api/runners': 'admin',
  'POST /api/runners': 'admin',
  'DELETE /api/runners/:id': 'admin',
  'GET /api/orphans': 'admin',
  'POST /api/orphans/:vmid/destroy': 'admin',
  'GET /api/templates': 'admin',
  'POST /api/templates': 'admin',
  'GET /api/templates/bake': 'admin',
  'POST /api/templates/bake': 'admin',
  'GET /api/users': 'admin',
  'PATCH /api/users/:id': 'admin',
  'DELETE /api/users/:id': 'admin',
  'POST /api/users/:id/reset': 'admin',
  'GET /api/users/invites': 'admin',
  'POST /api/users/invites': 'admin',
  'DELETE /api/users/invites/:id': 'admin',
}

/** Routes anyone may call, without an account (health, setup, sign-in, invite links). */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set(
  Object.entries(ROUTE_RULES)
    .filter(([, rule]) => rule === 'public')
    .map(([route]) => route),
)

/** Paths under which the runner authenticates with its own key, not a session. */
export const RUNNER_PREFIX = '/api/runner/'

/** What a session still owing its second factor may do: check it, or leave. */
const WHILE_PENDING = new Set([
  'POST /api/auth/totp/verify',
  'POST /api/auth/passkeys/verify/options',
  'POST /api/auth/passkeys/verify',
  'POST /api/auth/logout',
  'GET /api/auth/me',
])

/** What an account must-enrol may do (the owner requires a second factor): enrol, or leave. */
const WHILE_ENROLLING = new Set([
  'POST /api/auth/logout',
  'GET /api/auth/me',
  'GET /api/auth/totp',
  'POST /api/auth/totp/enrol',
  'POST /api/auth/totp/confirm',
  'GET /api/auth/passkeys',
  'POST /api/auth/passkeys/register/options',
  'POST /api/auth/passkeys',
])

/** How recent a second factor a sensitive action needs. */
export const RECENT_SECOND_FACTOR_MS = 15 * 60 * 1000

/**
 * Sensitive: anything that changes settings, runners, users or alerts, destroying a deployment,
 * turning the second factor off,
 * and adding or removing a passkey. They need a recent second factor from accounts that have one.
 */
export function isSensitive(method: string, pattern: string, rule: Permission): boolean {
  if (method === 'GET') return false
  return (
    rule === 'admin' ||
    pattern === '/api/deployments/:id/destroy' ||
    pattern === '/api/auth/totp/disable' ||
    // Adding or removing a factor: a stolen session must not keep or swap the account's keys.
    (method === 'POST' && pattern === '/api/auth/passkeys') ||
    (method === 'DELETE' && pattern === '/api/auth/passkeys/:id')
  )
}

/** The second-factor gate for a browser session (API tokens have none to give). */
function checkSecondFactor(user: SessionUser, route: string, sensitive: boolean): void {
  const f = user.secondFactor
  if (!f) return
  if (f.pending && !WHILE_PENDING.has(route)) {
    throw new ApiError(401, 'second_factor_required', 'Enter the code from your authenticator app.')
  }
  if (f.mustEnrol && !WHILE_ENROLLING.has(route)) {
    throw new ApiError(
      403,
      'second_factor_enrolment_required',
      'The owner requires a second factor: set one up under Security first.',
    )
  }
  if (sensitive && f.enrolled && (f.at === null || Date.now() - f.at > RECENT_SECOND_FACTOR_MS)) {
    throw new ApiError(
      403,
      'recent_second_factor_required',
      'Confirm with a code from your authenticator app first: this action needs a recent one.',
    )
  }
}

const DEPLOYMENT_SUBROUTES = '/api/deployments/:id/'

/** The rule for a registered route, or null when it has none (and is refused). */
export function ruleFor(method: string, pattern: string): Permission | null {
  const explicit = ROUTE_RULES[`${method} ${pattern}`]
  if (explicit) return explicit
  if (pattern.startsWith(DEPLOYMENT_SUBROUTES)) {
    return method === 'GET' ? 'deployment:view' : 'deployment:operate'
  }
  return null
}

/** The API endpoint this request will reach: its method and registered pattern, or null. */
function endpointOf(c: AppContext): { method: string; pattern: string } | null {
  const method = c.req.method === 'HEAD' ? 'GET' : c.req.method
  const route = matchedRoutes(c).find(
    (r) => r.method === method && r.path.startsWith('/api/') && !r.path.includes('*'),
  )
  return route ? { method, pattern: route.path } : null
}

/** The value of the `:id` segment of `pattern` in `path`, decoded. */
function idParam(pattern: string, path: string): string {
  const names = pattern.split('/')
  const values = path.split('/')
  const at = names.findIndex((n) => n === ':id' || n.startsWith(':id{'))
  const raw = at >= 0 ? values[at] : undefined
  if (raw === undefined) return ''
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}

function refused(user: SessionUser, needs: string): ApiError {
  return new ApiError(
    403,
    'forbidden',
    `Your role (${user.role}) does not allow this: it needs ${needs}.`,
    { details: { role: user.role, needs } },
  )
}

function bearerOf(c: AppContext): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1]
}

/**
 * Who is calling: the API token's account (narrowed), else the session's (under Cloudflare
 * Access, only the Access email's account), or null.
 */
async function principalOf(c: AppContext, access: AccessPass | null): Promise<SessionUser | null> {
  const bearer = bearerOf(c)
  if (bearer) return readApiToken(c, bearer)
  if (access) return sessionUnderAccess(c, access)
  return readSession(c)
}

/**
 * The authorization middleware for /api (see ROUTE_RULES). Under Cloudflare Access every request
 * but the runner's, an API token's and the health check's must carry a valid Access token first.
 */
export const authorize = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const endpoint = endpointOf(c)
  const rule = endpoint ? ruleFor(endpoint.method, endpoint.pattern) : null
  const exempt =
    rule === 'runner' || endpoint?.pattern === '/api/health' || bearerOf(c) !== undefined
  const access = exempt ? null : await accessPass(c)
  c.set('access', access)
  if (!endpoint) {
    // No such route: a signed-in caller gets the JSON 404, anyone else the 401 as before.
    const user = await principalOf(c, access)
    if (!user || user.secondFactor?.pending) throw unauthorized()
    c.set('user', user)
    return next()
  }
  if (rule === null) {
    console.error(`no access rule for ${endpoint.method} ${endpoint.pattern}: refused`)
    throw new ApiError(403, 'no_access_rule', 'This route has no access rule, so it is refused.')
  }
  if (rule === 'public' || rule === 'runner') return next()
  const user = await principalOf(c, access)
  if (!user) throw unauthorized()
  c.set('user', user)
  if (user.tokenName !== undefined) {
    if (rule === 'session') {
      throw new ApiError(403, 'session_only', 'An API token cannot do this: sign in instead.')
    }
    if (c.req.header('upgrade')?.toLowerCase() === 'websocket') {
      throw new ApiError(
        403,
        'session_only',
        'An API token cannot open a live socket: poll GET /api/deployments/:id instead.',
      )
    }
  }
  const route = `${endpoint.method} ${endpoint.pattern}`
  checkSecondFactor(user, route, isSensitive(endpoint.method, endpoint.pattern, rule))
  if (rule === 'deployment:view' || rule === 'deployment:operate') {
    const access = deploymentAccess(user, idParam(endpoint.pattern, new URL(c.req.url).pathname))
    // A deployment the account may not see does not exist as far as it is told.
    if (access === null) throw notFound('Deployment')
    if (rule === 'deployment:operate' && access !== 'operate') {
      throw refused(user, 'operate access to this deployment')
    }
  } else if (!allows(user, rule)) {
    throw refused(user, rule === 'create' ? 'an operator who sees every deployment' : 'an admin')
  }
  return next()
}
