import * as z from 'zod'
import type { RegisterConfig } from './config'
import { saveCredentials } from './credentials'
import { RUNNER_VERSION } from '../version'

const REGISTER_TIMEOUT_MS = 30_000

const RegisterResponse = z.object({ runnerId: z.string().min(1), key: z.string().min(16) })
const ErrorEnvelope = z.object({ error: z.object({ code: z.string(), message: z.string() }) })

export type RegisterOutcome = { ok: true; runnerId: string } | { ok: false; message: string }

/**
 * Swaps a one-time registration code for the runner's long-lived key and saves both the key and
 * the server URL in the key file (0600). The server's own message is shown on a refusal.
 */
export async function register(config: RegisterConfig): Promise<RegisterOutcome> {
  let res: Response
  try {
    res = await fetch(`${config.server}/api/runner/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: config.code, name: config.name, version: RUNNER_VERSION }),
      signal: AbortSignal.timeout(REGISTER_TIMEOUT_MS),
    })
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : ''
    return { ok: false, message: `cannot reach ${config.server}${cause}` }
  }
  let body: unknown = null
  try {
    body = await res.json()
  } catch {
    // Not JSON (a proxy's HTML error page): fall back to the status below.
  }
  if (!res.ok) {
    const envelope = ErrorEnvelope.safeParse(body)
    const detail = envelope.success
      ? envelope.data.error.message
      : `the server answered HTTP ${res.status}`
    return { ok: false, message: `registration refused: ${detail}` }
  }
  const parsed = RegisterResponse.safeParse(body)
  if (!parsed.success) {
    return {
      ok: false,
      message: `unexpected answer from ${config.server}: is this the dashboard URL?`,
    }
  }
  saveCredentials(config.keyFile, { server: config.server, ...parsed.data })
  return { ok: true, runnerId: parsed.data.runnerId }
}
