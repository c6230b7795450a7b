import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

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
