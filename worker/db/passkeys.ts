import { and, asc, eq, lt, sql } from 'drizzle-orm'
import { orm } from './client'
import { passkeys, webauthnChallenges } from './schema'

/** A challenge lives this long: one sign-in or registration dialog, no more. */
export const CHALLENGE_TTL_MS = 5 * 60 * 1000

type Purpose = 'register' | 'login' | 'verify'

/** Keep a challenge's hash for one use (and sweep the expired ones while at it). */
export async function storeChallenge(
  db: D1Database,
  key: string,
  purpose: Purpose,
  userId: string | null,
  now: number,
) {
  const d = orm(db)
  await d.batch([
    d.delete(webauthnChallenges).where(lt(webauthnChallenges.expiresAt, now)),
    d
      .insert(webauthnChallenges)
      .values({ id: key, purpose, userId, expiresAt: now + CHALLENGE_TTL_MS }),
  ])
}

/**
 * Spend a challenge: true once, if it was issued for `purpose` (and `userId`, when given) and has
 * not expired. The delete is the check, so two requests with one challenge cannot both pass.
 */
export async function spendChallenge(
  db: D1Database,
  key: string,
  purpose: Purpose,
  userId: string | null,
  now: number,
): Promise<boolean> {
  const row = await orm(db)
    .delete(webauthnChallenges)
    .where(eq(webauthnChallenges.id, key))
    .returning()
    .get()
  return (
    row !== undefined && row.purpose === purpose && row.userId === userId && row.expiresAt > now
  )
}

/** An account's passkeys, as it sees them (no key material). */
export async function passkeysOf(db: D1Database, userId: string) {
  return orm(db)
    .select({
      id: passkeys.id,
      name: passkeys.name,
      createdAt: passkeys.createdAt,
      lastUsedAt: passkeys.lastUsedAt,
      credentialId: passkeys.credentialId,
    })
    .from(passkeys)
    .where(eq(passkeys.userId, userId))
    .orderBy(asc(passkeys.createdAt))
    .all()
}

/** How many passkeys an account has. */
export async function passkeyCount(db: D1Database, userId: string): Promise<number> {
  const row = await orm(db)
    .select({ n: sql<number>`count(*)` })
    .from(passkeys)
    .where(eq(passkeys.userId, userId))
    .get()
  return row?.n ?? 0
}

/** The credential behind a browser's credential id, with its account, or null. */
export async function passkeyByCredential(db: D1Database, credentialId: string) {
  const row = await orm(db)
    .select()
    .from(passkeys)
    .where(eq(passkeys.credentialId, credentialId))
    .get()
  return row ?? null
}

export async function insertPasskey(db: D1Database, row: typeof passkeys.$inferInsert) {
  await orm(db).insert(passkeys).values(row)
}

/**
 * Store the counter of a use, only if no other request stored a later one meanwhile (the
 * comparison and the write are one statement): false means this assertion lost the race. A
 * `publicKey` replaces a misencoded stored one (see verifyAssertion).
 */
export async function recordPasskeyUse(
  db: D1Database,
  id: string,
  previous: number,
  counter: number,
  now: number,
  publicKey?: string,
): Promise<boolean> {
  const result = await orm(db)
    .update(passkeys)
    .set({ counter, lastUsedAt: now, ...(publicKey === undefined ? {} : { publicKey }) })
    .where(and(eq(passkeys.id, id), eq(passkeys.counter, previous)))
    .run()
  return result.meta.changes === 1
}

export async function renamePasskey(db: D1Database, userId: string, id: string, name: string) {
  const result = await orm(db)
    .update(passkeys)
    .set({ name })
    .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
    .run()
  return result.meta.changes === 1
}

export async function deletePasskey(db: D1Database, userId: string, id: string) {
  const result = await orm(db)
    .delete(passkeys)
    .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
    .run()
  return result.meta.changes === 1
}
