import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import {
  deleteSession,
  deleteSessionsOfUser,
  insertSession,
  liveSession,
  recordSessionSocket,
  sessionIdsOfUser,
  socketsOf,
  touchSession,
} from '../db/sessions'
import { grantsOf } from '../db/people'
import { readSecurityPolicy } from '../settings/security'
import type { AppContext, SessionUser } from '../env'
import { randomToken, sha256Hex } from '../crypto/tokens'
import { clientIp, isHttps, userAgent } from './request'
import { deploymentStub, hubStub } from '../do/stubs'

/** The session cookie over plain http (`npm start` on http://localhost). */
export const SESSION_COOKIE = 'session_id'
/**
 * The session cookie over https. With the `__Host-` prefix the browser only keeps it when it is
 * Secure, has Path=/ and no Domain: a sibling subdomain can neither set nor shadow it.
 */
export const HOST_SESSION_COOKIE = '__Host-session_id'
/** A session lives this long after sign-in at most; then the admin signs in again. */
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000
/** …and ends sooner after this long without a request (sliding). */
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000
/** `last_seen_at` is written at most this often per session: not one D1 write per request. */
export const SESSION_TOUCH_MS = 5 * 60 * 1000

/** The cookie's name for this request's scheme. */
export function sessionCookieName(c: AppContext): string {
  return isHttps(c) ? HOST_SESSION_COOKIE : SESSION_COOKIE
}

function cookieOptions(c: AppContext) {
  return { httpOnly: true, sameSite: 'Strict', secure: isHttps(c), path: '/' } as const
}

/**
 * Close the live sockets of sessions that just ended (sign-out, rotation): each deployment they
 * watch is told at once, instead of streaming on until its next periodic check. `rows` are read
 * before the sessions are deleted (their socket rows go with them).
 */
export async function closeSockets(
  c: AppContext,
  rows: readonly { sessionId: string; deploymentId: string }[],
): Promise<void> {
  const byDeployment = new Map<string, string[]>()
  for (const r of rows)
    byDeployment.set(r.deploymentId, [...(byDeployment.get(r.deploymentId) ?? []), r.sessionId])
  await Promise.all(
    [...byDeployment].map(([deploymentId, ids]) =>
      deploymentStub(c.env, deploymentId).sessionsEnded(ids),
    ),
  )
  // The server log sockets live in the hub.
  if (rows.length > 0)
    await hubStub(c.env).sessionsEnded([...new Set(rows.map((r) => r.sessionId))])
}

/**
 * Start a session for `userId`: a fresh random id in the cookie, its hash in D1. Any session the
 * browser already had is ended first (rotation on login: no session fixation). Returns the
 * cookie's value, for a request that goes on as the new session (readSession).
 */
export async function startSession(
  c: AppContext,
  userId: string,
  options: { pendingSecondFactor?: boolean; secondFactorAt?: number } = {},
): Promise<string> {
  const previous = getCookie(c, sessionCookieName(c))
  const previousId = previous && previous.length <= 128 ? await sha256Hex(previous) : null
  const token = randomToken(32)
  const now = Date.now()
  const ended = previousId ? await socketsOf(c.env.DB, [previousId]) : []
  await insertSession(
    c.env.DB,
    {
      id: await sha256Hex(token),
      userId,
      createdAt: now,
      expiresAt: now + SESSION_TTL_MS,
      lastSeenAt: now,
      ip: clientIp(c),
      userAgent: userAgent(c),
      pendingSecondFactor: options.pendingSecondFactor ? 1 : 0,
      secondFactorAt: options.secondFactorAt ?? null,
    },
    { idleMs: SESSION_IDLE_MS, replaces: previousId },
  )
  await closeSockets(c, ended)
  setCookie(c, sessionCookieName(c), token, {
    ...cookieOptions(c),
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  })
  return token
}

/**
 * The user behind the request's cookie (or `token`, a session this request just started), or null
 * if there is none, it expired, or it sat idle longer than SESSION_IDLE_MS. A live session's
 * `last_seen_at` moves forward (coarsely).
 */
export async function readSession(c: AppContext, started?: string): Promise<SessionUser | null> {
  const token = started ?? getCookie(c, sessionCookieName(c))
  if (!token || token.length > 128) return null
  const id = await sha256Hex(token)
  const now = Date.now()
  const row = await liveSession(c.env.DB, id, now, SESSION_IDLE_MS)
  if (!row) return null
  if (now - row.lastSeenAt >= SESSION_TOUCH_MS) await touchSession(c.env.DB, id, now)
  return {
    id: row.userId,
    username: row.username,
    role: row.role,
    deploymentScope: row.deploymentScope,
    // Only read when they can matter: most accounts see every deployment their role allows.
    grants: row.deploymentScope === 'granted' ? await grantsOf(c.env.DB, row.userId) : {},
    sessionId: id,
    sessionExpiresAt: row.expiresAt,
    secondFactor: {
      enrolled: row.totpEnrolled || row.passkeyEnrolled,
      methods: { totp: row.totpEnrolled, passkey: row.passkeyEnrolled },
      pending: row.pendingSecondFactor === 1,
      at: row.secondFactorAt,
      // The policy is read only for accounts it can stop: most requests skip it.
      mustEnrol:
        !row.totpEnrolled &&
        !row.passkeyEnrolled &&
        (await readSecurityPolicy(c.env.DB)).requireSecondFactor,
    },
  }
}

/** Note that the session has a live socket on `deploymentId`, so signing out can close it. */
export async function recordSocket(
  c: AppContext,
  sessionId: string,
  deploymentId: string,
): Promise<void> {
  await recordSessionSocket(c.env.DB, { sessionId, deploymentId })
}

/** End the request's session, server side, in the browser, and on its open sockets. */
export async function endSession(c: AppContext, sessionId: string): Promise<void> {
  const ended = await socketsOf(c.env.DB, [sessionId])
  await deleteSession(c.env.DB, sessionId)
  deleteCookie(c, sessionCookieName(c), cookieOptions(c))
  await closeSockets(c, ended)
}

/**
 * End every session of an account but `keep` (null: all of them), with their live sockets: a
 * password change, a reset, sign-out of other devices.
 */
export async function endSessionsOf(
  c: AppContext,
  userId: string,
  keep: string | null,
): Promise<void> {
  const ids = await sessionIdsOfUser(c.env.DB, userId, keep)
  if (ids.length === 0) return
  const ended = await socketsOf(c.env.DB, ids)
  await deleteSessionsOfUser(c.env.DB, userId, keep)
  await closeSockets(c, ended)
}
