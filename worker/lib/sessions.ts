import { and, eq, gt, lt } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/d1'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { sessions, users } from '../db/schema'
import type { AppContext, SessionUser } from '../env'
import { randomToken, sha256Hex } from './crypto'
import { clientIp, isHttps, userAgent } from './request'

export const SESSION_COOKIE = 'session_id'
/** A session lives this long after sign-in; then the admin signs in again. */
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000

/**
 * Start a session for `userId`: a fresh random id in the cookie, its hash in D1. Any session the
 * browser already had is ended first (rotation on login: no session fixation).
 */
export async function startSession(c: AppContext, userId: string): Promise<void> {
  const db = drizzle(c.env.DB)
  const previous = getCookie(c, SESSION_COOKIE)
  const token = randomToken(32)
  const now = Date.now()
  const statements = [
    db.insert(sessions).values({
      id: await sha256Hex(token),
      userId,
      createdAt: now,
      expiresAt: now + SESSION_TTL_MS,
      ip: clientIp(c),
      userAgent: userAgent(c),
    }),
    // Housekeeping rides along: expired rows go.
    db.delete(sessions).where(lt(sessions.expiresAt, now)),
  ] as const
  if (previous) {
    await db.batch([
      ...statements,
      db.delete(sessions).where(eq(sessions.id, await sha256Hex(previous))),
    ])
  } else {
    await db.batch(statements)
  }
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: isHttps(c),
    path: '/',
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  })
}

/** The user behind the request's cookie, or null if there is none or it expired. */
export async function readSession(c: AppContext): Promise<SessionUser | null> {
  const token = getCookie(c, SESSION_COOKIE)
  if (!token || token.length > 128) return null
  const id = await sha256Hex(token)
  const row = await drizzle(c.env.DB)
    .select({ userId: users.id, username: users.username })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, id), gt(sessions.expiresAt, Date.now())))
    .get()
  return row ? { id: row.userId, username: row.username, sessionId: id } : null
}

/** End the request's session, server side and in the browser. */
export async function endSession(c: AppContext, sessionId: string): Promise<void> {
  await drizzle(c.env.DB).delete(sessions).where(eq(sessions.id, sessionId))
  deleteCookie(c, SESSION_COOKIE, {
    path: '/',
    secure: isHttps(c),
    httpOnly: true,
    sameSite: 'Strict',
  })
}
