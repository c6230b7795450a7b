import type { ErrorHandler, NotFoundHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { AppEnv } from '../env'

/** One field problem, as the dashboard shows it next to the field. */
export interface FieldIssue {
  path: string
  message: string
}

/**
 * The one error type handlers throw. `app.onError` turns it into
 * `{ error: { code, message, details? } }` with its status.
 */
export class ApiError extends HTTPException {
  readonly code: string
  readonly details: unknown
  readonly headers: Record<string, string>

  constructor(
    status: ContentfulStatusCode,
    code: string,
    message: string,
    options: { details?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(status, { message })
    this.code = code
    this.details = options.details
    this.headers = options.headers ?? {}
  }
}

export const unauthorized = () =>
  new ApiError(401, 'unauthorized', 'Sign in first: this needs a valid session.')

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found.`)

/** Refuse anyone but an owner, with `message` saying what only owners may do. */
export function requireOwner(user: { role: string }, message: string): void {
  if (user.role !== 'owner') {
    throw new ApiError(403, 'forbidden', message, { details: { role: user.role, needs: 'owner' } })
  }
}

/** Turn any thrown error into the one envelope; unknown errors log and answer a generic 500. */
export const onError: ErrorHandler<AppEnv> = (err, c) => {
  if (err instanceof ApiError) {
    for (const [name, value] of Object.entries(err.headers)) c.header(name, value)
    return c.json(
      {
        error: {
          code: err.code,
          message: err.message,
          ...(err.details === undefined ? {} : { details: err.details }),
        },
      },
      err.status,
    )
  }
  if (err instanceof HTTPException) {
    // Raised by Hono itself: malformed JSON, body too large, bad websocket upgrade.
    const status = err.status
    const code =
      status === 413 ? 'body_too_large' : status === 400 ? 'invalid_request' : 'http_error'
    const message =
      status === 400 && /json/i.test(err.message)
        ? 'The body is not valid JSON.'
        : err.message || 'Request refused.'
    return c.json({ error: { code, message } }, status)
  }
  const requestId = c.get('requestId')
  console.error(
    JSON.stringify({
      level: 'error',
      requestId,
      method: c.req.method,
      path: new URL(c.req.url).pathname,
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      stack: err instanceof Error ? err.stack : undefined,
    }),
  )
  return c.json(
    {
      error: {
        code: 'internal_error',
        message: `Something went wrong on our side. Quote request id ${requestId} when reporting it.`,
        details: { requestId },
      },
    },
    500,
  )
}

export const onNotFound: NotFoundHandler<AppEnv> = (c) =>
  c.json(
    {
      error: {
        code: 'not_found',
        message: `No API route ${c.req.method} ${new URL(c.req.url).pathname}.`,
      },
    },
    404,
  )
