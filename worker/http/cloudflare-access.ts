import { getCookie } from 'hono/cookie'
import { Jwt } from 'hono/utils/jwt'
import type { AppContext } from '../env'
import { readAccessSettings, type AccessSettings } from '../settings/access'
import { ApiError } from './errors'

/**
 * Cloudflare Access in front of the dashboard (README, "Behind Cloudflare Access"). Access signs
 * every request it lets through with a JWT in `Cf-Access-Jwt-Assertion` (and the
 * `CF_Authorization` cookie); the worker checks it itself so that the workers.dev address, or a
 * route someone forgot to put behind Access, is not a way around it.
 *
 * Hono's JWT utility checks the signature, issuer and audience; the keys are fetched here
 * (Hono's `jwk` middleware would fetch them on every request) and kept for ACCESS_CERTS_TTL_MS.
 */

/** Access signs with RS256 only. */
const ALG = 'RS256'
/** How long fetched signing keys are trusted before they are fetched again. */
export const ACCESS_CERTS_TTL_MS = 10 * 60 * 1000
/**
 * At most one fetch for an unseen key id per this long: a stream of tokens with made-up key ids
 * costs the team's certs endpoint one request per window, not one each.
 */
export const ACCESS_CERTS_REFETCH_MIN_MS = 30 * 1000
/** Clocks may differ this much between Cloudflare's edge and the worker. */
export const ACCESS_CLOCK_SKEW_S = 60
const CERTS_TIMEOUT_MS = 5_000

/** The header Access adds to each request it lets through, and the cookie it sets. */
export const ACCESS_HEADER = 'cf-access-jwt-assertion'
export const ACCESS_COOKIE = 'CF_Authorization'

type Jwk = JsonWebKey & { kid?: string }

/** Keys per certs URL, shared by the requests an isolate serves. */
const certsCache = new Map<string, { keys: Jwk[]; fetchedAt: number }>()
/** A fetch under way per URL: concurrent requests with a new key wait for one fetch. */
const inFlight = new Map<string, Promise<Jwk[]>>()
/** When each URL was last fetched for an unseen key id. */
const lastForced = new Map<string, number>()

/** Where a team publishes its signing keys. */
export function certsUrl(teamDomain: string): string {
  return `${teamDomain}/cdn-cgi/access/certs`
}

function refused(message: string, code = 'access_refused'): ApiError {
  return new ApiError(403, code, message)
}

async function fetchCerts(url: string): Promise<Jwk[]> {
  let res: Response
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(CERTS_TIMEOUT_MS) })
  } catch {
    throw new ApiError(503, 'access_keys_unavailable', `Could not reach ${url} for Access's keys.`)
  }
  const body: unknown = res.ok ? await res.json().catch(() => null) : null
  const keys = (body as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys)) {
    throw new ApiError(
      503,
      'access_keys_unavailable',
      `${url} did not give Access's keys (HTTP ${res.status}): check the team domain.`,
    )
  }
  const found = keys.filter((k): k is Jwk => typeof k === 'object' && k !== null)
  certsCache.set(url, { keys: found, fetchedAt: Date.now() })
  return found
}

/** The team's keys: from the cache while fresh, else fetched (once for concurrent callers). */
async function certs(url: string, fresh: boolean): Promise<Jwk[]> {
  const cached = certsCache.get(url)
  if (!fresh && cached && Date.now() - cached.fetchedAt < ACCESS_CERTS_TTL_MS) return cached.keys
  if (fresh && cached) {
    if (Date.now() - (lastForced.get(url) ?? 0) < ACCESS_CERTS_REFETCH_MIN_MS) return cached.keys
    lastForced.set(url, Date.now())
  }
  const pending = inFlight.get(url) ?? fetchCerts(url).finally(() => inFlight.delete(url))
  inFlight.set(url, pending)
  return pending
}

/** Words for the reasons Hono's verifier gives (its messages quote the token: not passed on). */
function reasonOf(err: unknown): string {
  const name = err instanceof Error ? err.name : ''
  switch (name) {
    case 'JwtTokenSignatureMismatched':
      return 'its signature does not match the team’s keys'
    case 'JwtTokenIssuer':
      return 'it was issued by another Access team'
    case 'JwtTokenAudience':
    case 'JwtPayloadRequiresAud':
      return 'it is for another Access application (audience)'
    default:
      return 'it is not a valid Access token'
  }
}

/** The token Access sent with the request: the header first, else the cookie. */
export function accessToken(c: AppContext): string | null {
  const token = c.req.header(ACCESS_HEADER) ?? getCookie(c, ACCESS_COOKIE)
  return token && token.length <= 16_384 ? token : null
}

/**
 * Check `token` against `settings` and give the email Access vouches for, lower-cased.
 * Throws a 403 that says why a token is refused, or a 503 when the keys cannot be fetched.
 */
export async function verifyAccessToken(token: string, settings: AccessSettings): Promise<string> {
  let kid: unknown
  let alg: unknown
  try {
    ;({ kid, alg } = Jwt.decode(token).header as { kid?: unknown; alg?: unknown })
  } catch {
    throw refused('Cloudflare Access: the request’s token is not a valid Access token.')
  }
  if (alg !== ALG || typeof kid !== 'string') {
    throw refused(`Cloudflare Access: the token must be signed with ${ALG} and name its key.`)
  }
  const url = certsUrl(settings.teamDomain)
  let key = (await certs(url, false)).find((k) => k.kid === kid)
  // A key Access rotated in since the last fetch: fetch once more before refusing.
  key ??= (await certs(url, true)).find((k) => k.kid === kid)
  if (!key) refusedFor('it is signed by a key the team does not publish')
  let payload: Record<string, unknown>
  try {
    payload = await Jwt.verify(token, key, {
      alg: ALG,
      iss: settings.teamDomain,
      aud: settings.audience,
      // Checked below, with some leeway for clock differences.
      exp: false,
      nbf: false,
      iat: false,
    })
  } catch (err) {
    refusedFor(reasonOf(err))
  }
  const now = Math.floor(Date.now() / 1000)
  const { exp, nbf, email } = payload
  if (typeof exp !== 'number' || exp + ACCESS_CLOCK_SKEW_S < now) refusedFor('it has expired')
  if (typeof nbf === 'number' && nbf - ACCESS_CLOCK_SKEW_S > now) refusedFor('it is not valid yet')
  if (typeof email !== 'string' || email === '') refusedFor('it names no email address')
  return email.toLowerCase()
}

function refusedFor(reason: string): never {
  throw refused(
    `Cloudflare Access refused the request’s token: ${reason}. Reload to sign in again.`,
  )
}

/** Whether the break-glass variable turns the Access check off (README, Security). */
export function accessBreakGlass(env: Env): boolean {
  return env.ACCESS_BREAK_GLASS === 'on'
}

/**
 * The Access settings in force for this request, or null when the check is off (not configured,
 * or the break-glass variable is set).
 */
export async function accessInForce(c: AppContext): Promise<AccessSettings | null> {
  if (accessBreakGlass(c.env)) return null
  const settings = await readAccessSettings(c.env.DB)
  return settings.enabled ? settings : null
}

/** The email the request's Access token vouches for, under `settings`; refused when absent. */
export async function accessEmail(c: AppContext, settings: AccessSettings): Promise<string> {
  const token = accessToken(c)
  if (!token) {
    throw refused(
      'This dashboard is behind Cloudflare Access, and the request carried no Access token: open it through its Access address.',
      'access_required',
    )
  }
  return verifyAccessToken(token, settings)
}
