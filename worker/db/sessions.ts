import { and, eq, gt, inArray, lt, or, sql } from 'drizzle-orm'
import { orm } from './client'
import { sessions, sessionSockets, users } from './schema'

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
      expiresAt: sessions.expiresAt,
      lastSeenAt: sql<number>`${lastSeen}`,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, id), gt(sessions.expiresAt, now), gt(lastSeen, now - idleMs)))
    .get()
  return row ?? null
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
