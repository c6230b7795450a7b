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
 * Create the first account, only if there is none: the check and the insert are one statement,
 * so of two racing setups exactly one gets `true`. Written in SQL because drizzle's
 * insert…select needs a table to select from, and this selects from nothing.
 */
export async function insertFirstUser(
  db: D1Database,
  user: Pick<User, 'id' | 'username' | 'passwordHash'>,
): Promise<boolean> {
  const result = await orm(db).run(
    sql`insert into ${users} (${sql.identifier(users.id.name)}, ${sql.identifier(users.username.name)}, ${sql.identifier(users.passwordHash.name)})
        select ${user.id}, ${user.username}, ${user.passwordHash}
        where not exists (select 1 from ${users})`,
  )
  return result.meta.changes === 1
}
