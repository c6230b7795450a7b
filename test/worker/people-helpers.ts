import { env } from 'cloudflare:test'
import type { Access, DeploymentScope, Role } from '../../core/people'
import { sha256Hex } from '../../worker/crypto/tokens'
import { call, json, sessionCookie } from './helpers'

let serial = 0

/**
 * An account of `role` with a live session, written straight into D1 (a sign-in costs a
 * PBKDF2 hash; the table tests need hundreds of sessions). Returns its cookie and id.
 */
export async function accountAs(
  role: Role,
  options: { scope?: DeploymentScope; grants?: Record<string, Access>; name?: string } = {},
): Promise<{ cookie: string; id: string; username: string }> {
  serial += 1
  const id = crypto.randomUUID()
  const username = options.name ?? `${role}-${serial}`
  await env.DB.prepare(
    'INSERT INTO users (id, username, password_hash, role, deployment_scope) VALUES (?, ?, ?, ?, ?)',
  )
    .bind(id, username, 'pbkdf2-sha256$1$AA==$AA==', role, options.scope ?? 'all')
    .run()
  for (const [deploymentId, access] of Object.entries(options.grants ?? {})) {
    await env.DB.prepare(
      'INSERT INTO deployment_grants (user_id, deployment_id, access) VALUES (?, ?, ?)',
    )
      .bind(id, deploymentId, access)
      .run()
  }
  return { cookie: await sessionOf(id), id, username }
}

/** A fresh live session for an existing account. */
export async function sessionOf(userId: string): Promise<string> {
  const token = `test-session-${crypto.randomUUID()}`
  const now = Date.now()
  await env.DB.prepare(
    'INSERT INTO sessions (id, user_id, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?)',
  )
    .bind(await sha256Hex(token), userId, now, now + 3_600_000, now)
    .run()
  return `session_id=${token}`
}

/** Invite through the API and return the link's token. */
export async function invite(cookie: string, body: Record<string, unknown>): Promise<string> {
  const res = await call('POST', '/api/users/invites', { cookie, body })
  if (res.status !== 201) throw new Error(`invite: ${res.status} ${await res.text()}`)
  return (await json<{ token: string }>(res)).token
}

/** Accept an invite as the invited person would; returns their session cookie. */
export async function join(token: string, username: string, password = 'a long enough pass') {
  const res = await call('POST', '/api/invites/accept', { body: { token, username, password } })
  if (res.status !== 201) throw new Error(`join: ${res.status} ${await res.text()}`)
  return sessionCookie(res)
}
