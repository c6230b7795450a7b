import { and, desc, eq, gt, inArray, isNull, lt, ne, or, sql } from 'drizzle-orm'
import type { DeploymentScope, Role } from '../../core/people'
import { orm } from './client'
import { passkeys, sessions, sessionSockets, users } from './schema'

/** When a session last showed activity: `last_seen_at`, or its creation. */
const lastSeen = sql`coalesce(${sessions.lastSeenAt}, ${sessions.createdAt})`

/** A live socket of a session on a deployment. */
export type SessionSocket = typeof sessionSockets.$inferSelect

/** The live sockets the given sessions hold. */
export function socketsOf(db: D1Database, sessionIds: string[]): Promise<SessionSocket[]> {
  return orm(db)
    .select({ sessionId: sessionSockets.sessionId, deploymentId: sessionSockets.deploymentId })
    .from(sessionSockets)
    .where(inArray(sessionSockets.sessionId, sessionIds))
    .all()
}

/**
 * Store a new session, in one batch with the housekeeping that rides along (expired and idle
 * rows go) and the end of the session it replaces, if any.
 */
export async function insertSession(
  db: D1Database,
  session: Omit<typeof sessions.$inferInsert, 'createdAt'> & { createdAt: number },
  options: { idleMs: number; replaces: string | null },
): Promise<void> {
  const d = orm(db)
  const now = session.createdAt
  const statements = [
    d.insert(sessions).values(session),
    d.delete(sessions).where(or(lt(sessions.expiresAt, now), lt(lastSeen, now - options.idleMs))),
  ] as const
  if (options.replaces) {
    await d.batch([...statements, d.delete(sessions).where(eq(sessions.id, options.replaces))])
  } else {
    await d.batch(statements)
  }
}

/** A live session with its user, as `readSession` needs it. */
export interface LiveSession {
  userId: string
  username: string
  role: Role
  deploymentScope: DeploymentScope
  totpEnrolled: boolean
  passkeyEnrolled: boolean
  pendingSecondFactor: number
  secondFactorAt: number | null
  expiresAt: number
  lastSeenAt: number
}

/** The session `id` with its user, if it has neither expired nor sat idle longer than `idleMs`. */
export async function liveSession(
  db: D1Database,
  id: string,
  now: number,
  idleMs: number,
): Promise<LiveSession | null> {
  const row = await orm(db)
    .select({
      userId: users.id,
      username: users.username,
      role: users.role,
      deploymentScope: users.deploymentScope,
      totpEnrolled: sql<boolean>`${users.totpSecretEnc} is not null`.mapWith(Boolean),
      passkeyEnrolled:
        sql<boolean>`exists (select 1 from ${passkeys} where ${passkeys.userId} = ${users.id})`.mapWith(
          Boolean,
        ),
      pendingSecondFactor: sessions.pendingSecondFactor,
      secondFactorAt: sessions.secondFactorAt,
      expiresAt: sessions.expiresAt,
      lastSeenAt: sql<number>`${lastSeen}`,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(
      and(
        eq(sessions.id, id),
        gt(sessions.expiresAt, now),
        gt(lastSeen, now - idleMs),
        isNull(users.disabledAt),
      ),
    )
    .get()
  return row ?? null
}

/** A session as its owner sees it in the list of their sessions. */
export interface SessionInfo {
  id: string
  createdAt: number
  lastSeenAt: number
  ip: string | null
  userAgent: string | null
}

/** The live sessions of an account, most recently active first. */
export function sessionsOfUser(
  db: D1Database,
  userId: string,
  now: number,
  idleMs: number,
): Promise<SessionInfo[]> {
  return orm(db)
    .select({
      id: sessions.id,
      createdAt: sessions.createdAt,
      lastSeenAt: sql<number>`${lastSeen}`,
      ip: sessions.ip,
      userAgent: sessions.userAgent,
    })
    .from(sessions)
    .where(
      and(eq(sessions.userId, userId), gt(sessions.expiresAt, now), gt(lastSeen, now - idleMs)),
    )
    .orderBy(desc(lastSeen))
    .all()
}

/** The ids of an account's sessions, except `keep` (so their sockets can be closed). */
export async function sessionIdsOfUser(
  db: D1Database,
  userId: string,
  keep: string | null,
): Promise<string[]> {
  const rows = await orm(db)
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), keep === null ? undefined : ne(sessions.id, keep)))
    .all()
  return rows.map((r) => r.id)
}

/** End one session of an account; false when it was not theirs or is gone. */
export async function deleteSessionOf(
  db: D1Database,
  userId: string,
  id: string,
): Promise<boolean> {
  const result = await orm(db)
    .delete(sessions)
    .where(and(eq(sessions.id, id), eq(sessions.userId, userId)))
    .run()
  return result.meta.changes === 1
}

/** End every session of an account but `keep`. */
export async function deleteSessionsOfUser(
  db: D1Database,
  userId: string,
  keep: string | null,
): Promise<void> {
  await orm(db)
    .delete(sessions)
    .where(and(eq(sessions.userId, userId), keep === null ? undefined : ne(sessions.id, keep)))
}

/** Note that a session was active at `at`. */
export async function touchSession(db: D1Database, id: string, at: number): Promise<void> {
  await orm(db).update(sessions).set({ lastSeenAt: at }).where(eq(sessions.id, id))
}

/** Note that a session has a live socket on a deployment (once per pair). */
export async function recordSessionSocket(db: D1Database, socket: SessionSocket): Promise<void> {
  await orm(db).insert(sessionSockets).values(socket).onConflictDoNothing()
}

/** End a session (its socket rows go with it). */
export async function deleteSession(db: D1Database, id: string): Promise<void> {
  await orm(db).delete(sessions).where(eq(sessions.id, id))
}

/**
 * Which of these sessions are still live: not expired and active within `idleMs`. The ids go in
 * as one JSON parameter (D1 allows 100 bound parameters per statement).
 */
export async function liveSessionIds(
  db: D1Database,
  ids: readonly string[],
  now: number,
  idleMs: number,
): Promise<Set<string>> {
  const rows = await orm(db)
    .select({ id: sessions.id })
    .from(sessions)
    .where(
      and(
        sql`${sessions.id} in (select value from json_each(${JSON.stringify(ids)}))`,
        gt(sessions.expiresAt, now),
        gt(lastSeen, now - idleMs),
      ),
    )
    .all()
  return new Set(rows.map((r) => r.id))
}
