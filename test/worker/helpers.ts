import { env } from 'cloudflare:test'
import { exports } from 'cloudflare:workers'

export const ORIGIN = 'http://dash.test'
export const ADMIN = { username: 'admin', password: 'correct horse battery' }
/** The one-time setup code the worker runs with in these tests (vitest.config.ts). */
export const SETUP_CODE = 'TESTS-SETUP-CODE2-WORKR'

/** Call the real worker entry, as a browser on the dashboard's origin would. */
export async function call(
  method: string,
  path: string,
  options: {
    body?: unknown
    cookie?: string
    headers?: Record<string, string>
    rawBody?: string
  } = {},
): Promise<Response> {
  const headers: Record<string, string> = { 'cf-connecting-ip': '203.0.113.7', ...options.headers }
  if (options.cookie) headers.cookie = options.cookie
  let body: string | undefined
  if (options.rawBody !== undefined) body = options.rawBody
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body)
    headers['content-type'] ??= 'application/json'
  }
  if (method !== 'GET' && method !== 'HEAD') headers.origin ??= ORIGIN
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, { method, headers, body }))
}

/** The `session_id=…` pair from a response's Set-Cookie, ready for a Cookie header. */
export function sessionCookie(res: Response): string {
  const header = res.headers.get('set-cookie') ?? ''
  const match = /session_id=([^;]*)/.exec(header)
  if (!match || !match[1]) throw new Error(`no session cookie in: ${header || '(none)'}`)
  return `session_id=${match[1]}`
}

/** Create the first admin and return its session cookie. */
export async function setupAdmin(): Promise<string> {
  const res = await call('POST', '/api/setup', { body: { ...ADMIN, setupCode: SETUP_CODE } })
  if (res.status !== 201) throw new Error(`setup failed: ${res.status} ${await res.text()}`)
  return sessionCookie(res)
}

export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T
}

export { env }
