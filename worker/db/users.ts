import { eq, sql } from 'drizzle-orm'
import { orm } from './client'
import { users } from './schema'

export type User = typeof users.$inferSelect

/** Whether any account exists (setup is done once one does). */
export async function anyUser(db: D1Database): Promise<boolean> {
  const row = await orm(db).select({ id: users.id }).from(users).limit(1).get()
  return row !== undefined
}

/** The account with this (lower-case) username, or null. */
export async function userByName(db: D1Database, username: string): Promise<User | null> {
  const row = await orm(db).select().from(users).where(eq(users.username, username)).get()
  return row ?? null
}

/**
 * Create the first account, an owner, only if there is none: the check and the insert are one statement,
 * so of two racing setups exactly one gets `true`. Written in SQL because drizzle's
 * insert…select needs a table to select from, and this selects from nothing.
 */
export async function insertFirstUser(
  db: D1Database,
  user: Pick<User, 'id' | 'username' | 'passwordHash'>,
): Promise<boolean> {
  const result = await orm(db).run(
    sql`insert into ${users} (${sql.identifier(users.id.name)}, ${sql.identifier(users.username.name)}, ${sql.identifier(users.passwordHash.name)}, ${sql.identifier(users.role.name)})
        select ${user.id}, ${user.username}, ${user.passwordHash}, 'owner'
        where not exists (select 1 from ${users})`,
  )
  return result.meta.changes === 1
}

/** The account with this id, or null. */
export async function userById(db: D1Database, id: string): Promise<User | null> {
  const row = await orm(db).select().from(users).where(eq(users.id, id)).get()
  return row ?? null
}

/** Store a new password hash. */
export async function setPasswordHash(db: D1Database, id: string, hash: string): Promise<void> {
  await orm(db)
    .update(users)
    .set({ passwordHash: hash, updatedAt: Date.now() })
    .where(eq(users.id, id))
}

/** Whether a D1 error is the unique username refusing a second account of that name. */
export function isUsernameTaken(err: unknown): boolean {
  const taken = /UNIQUE constraint failed: users\.username/i
  return taken.test(String(err)) || (err instanceof Error && taken.test(String(err.cause)))
}
