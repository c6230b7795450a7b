import type { MiddlewareHandler } from 'hono'
import { secureHeaders } from 'hono/secure-headers'
import type { AppEnv } from '../env'
import { ApiError } from './errors'

/**
 * CSP for the SPA: scripts and styles only from our own origin, API and websockets to the same
 * origin, never framed.
 */
export const securityHeaders = (): MiddlewareHandler<AppEnv> =>
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'"],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
    xFrameOptions: 'DENY',
    referrerPolicy: 'no-referrer',
    strictTransportSecurity: 'max-age=31536000; includeSubDomains',
    crossOriginEmbedderPolicy: false,
    permissionsPolicy: { camera: [], microphone: [], geolocation: [] },
  })

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * CSRF: a state-changing request that a browser sent from another origin is refused, and so is a
 * websocket handshake (a GET that browsers send cross-origin with cookies, outside CORS: another
 * site could otherwise read a deployment's live log in the admin's browser). Browsers always
 * send `Origin` (or `Sec-Fetch-Site`) on such requests; the runner and scripts send neither and
 * authenticate otherwise.
 */
export const csrfGuard = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const upgrade = c.req.header('upgrade')?.toLowerCase() === 'websocket'
  if (UNSAFE_METHODS.has(c.req.method) || upgrade) {
    const origin = c.req.header('origin')
    const self = new URL(c.req.url).origin
    const site = c.req.header('sec-fetch-site')
    if ((origin !== undefined && origin !== self) || site === 'cross-site') {
      throw new ApiError(
        403,
        'cross_origin_refused',
        upgrade
          ? `Refused a websocket from another origin (${origin ?? site}): live updates are only for the dashboard's own pages.`
          : `Refused a ${c.req.method} from another origin (${origin ?? site}): the dashboard only accepts changes from its own pages.`,
      )
    }
  }
  await next()
}

/** Bodies must be JSON: anything else is a clear 415, not a confusing validation error. */
export const jsonOnly = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const length = c.req.header('content-length')
  const hasBody =
    UNSAFE_METHODS.has(c.req.method) &&
    (c.req.header('transfer-encoding') !== undefined || (length !== undefined && length !== '0'))
  if (hasBody) {
    const type = c.req.header('content-type') ?? ''
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      throw new ApiError(
        415,
        'unsupported_media_type',
        `Send the body as JSON (Content-Type: application/json), not ${type || 'without a Content-Type'}.`,
      )
    }
  }
  await next()
}

/** Tag every request with an id, returned in `X-Request-Id` and logged with errors. */
export const requestId = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const id = crypto.randomUUID()
  c.set('requestId', id)
  await next()
  c.res.headers.set('X-Request-Id', id)
}
