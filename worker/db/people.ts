import { and, asc, eq, gt, isNull, ne, sql } from 'drizzle-orm'
import type { Access, DeploymentScope, Grant, Role } from '../../core/people'
import { orm } from './client'
import { accountLinks, deploymentGrants, deployments, sessions, users } from './schema'

/** An account as the Users page shows it: never its password hash. */
export interface Person {
  id: string
  username: string
  role: Role
  deploymentScope: DeploymentScope
  disabledAt: number | null
  createdAt: number
  grants: Grant[]
}

const personColumns = {
  id: users.id,
  username: users.username,
  role: users.role,
  deploymentScope: users.deploymentScope,
  disabledAt: users.disabledAt,
  createdAt: users.createdAt,
}

/** Every account with its grants, oldest first. */
export async function listPeople(db: D1Database): Promise<Person[]> {
  const d = orm(db)
  const [rows, grants] = await d.batch([
    d.select(personColumns).from(users).orderBy(asc(users.createdAt), asc(users.username)),
    d.select().from(deploymentGrants).orderBy(asc(deploymentGrants.deploymentId)),
  ])
  return rows.map((r) => ({
    ...r,
    grants: grants
      .filter((g) => g.userId === r.id)
      .map((g) => ({ deploymentId: g.deploymentId, access: g.access })),
  }))
}

/** One account with its grants, or null. */
export async function personById(db: D1Database, id: string): Promise<Person | null> {
  const row = await orm(db).select(personColumns).from(users).where(eq(users.id, id)).get()
  if (!row) return null
  return { ...row, grants: await grantsList(db, id) }
}

async function grantsList(db: D1Database, userId: string): Promise<Grant[]> {
  return orm(db)
    .select({ deploymentId: deploymentGrants.deploymentId, access: deploymentGrants.access })
    .from(deploymentGrants)
    .where(eq(deploymentGrants.userId, userId))
    .all()
}

/** The account's grants as a lookup, for the permission checks. */
export async function grantsOf(db: D1Database, userId: string): Promise<Record<string, Access>> {
  const out: Record<string, Access> = {}
  for (const g of await grantsList(db, userId)) out[g.deploymentId] = g.access
  return out
}

/** How many owners can still sign in: the last one may be neither demoted, disabled nor removed. */
export async function activeOwnerCount(db: D1Database, exceptId?: string): Promise<number> {
  const row = await orm(db)
    .select({ n: sql<number>`count(*)` })
    .from(users)
    .where(
      and(
        eq(users.role, 'owner'),
        isNull(users.disabledAt),
        exceptId === undefined ? undefined : ne(users.id, exceptId),
      ),
    )
    .get()
  return row?.n ?? 0
}

/**
 * Insert grants from a JSON list, as raw D1 (drizzle cannot batch raw SQL, and D1 allows 100
 * bound parameters per statement, so the list goes in as one JSON parameter).
 */
function insertGrants(db: D1Database, userId: string, grants: readonly Grant[]) {
  return db
    .prepare(
      `insert into deployment_grants (user_id, deployment_id, access)
       select ?1, json_extract(value, '$.deploymentId'), json_extract(value, '$.access')
       from json_each(?2) where exists (select 1 from users where id = ?1)`,
    )
    .bind(userId, JSON.stringify(grants))
}

/**
 * Change an account; with `grants`, they replace the old ones. With `endSessions`, every session
 * of the account ends in the same transaction (disabling, a new role).
 */
export async function updatePerson(
  db: D1Database,
  id: string,
  patch: { role?: Role; deploymentScope?: DeploymentScope; disabledAt?: number | null },
  options: { grants?: readonly Grant[]; endSessions: boolean },
): Promise<void> {
  const d = orm(db)
  const update = d
    .update(users)
    .set({ ...patch, updatedAt: Date.now() })
    .where(eq(users.id, id))
  const endSessions = options.endSessions ? [d.delete(sessions).where(eq(sessions.userId, id))] : []
  await d.batch([update, ...endSessions])
  if (options.grants) {
    await db.batch([
      db.prepare('delete from deployment_grants where user_id = ?').bind(id),
      insertGrants(db, id, options.grants),
    ])
  }
}

/** Remove an account; its sessions, grants and pending reset links go with it. */
export async function deletePerson(db: D1Database, id: string): Promise<void> {
  await orm(db).delete(users).where(eq(users.id, id))
}

/** A one-time link as stored: the token itself is never kept. */
export type AccountLink = typeof accountLinks.$inferSelect

export async function insertLink(
  db: D1Database,
  link: Omit<typeof accountLinks.$inferInsert, 'createdAt' | 'usedAt'>,
): Promise<void> {
  const d = orm(db)
  // Old links ride along out of the table.
  await d.batch([
    d.delete(accountLinks).where(sql`${accountLinks.expiresAt} < ${Date.now() - 86_400_000}`),
    d.insert(accountLinks).values(link),
  ])
}

/** The link behind a token hash, used or not, expired or not: the caller says which is wrong. */
export async function linkByTokenHash(
  db: D1Database,
  tokenHash: string,
): Promise<AccountLink | null> {
  const row = await orm(db)
    .select()
    .from(accountLinks)
    .where(eq(accountLinks.tokenHash, tokenHash))
    .get()
  return row ?? null
}

/** Invites not used yet and not expired, newest first. */
export function pendingInvites(db: D1Database, now: number): Promise<AccountLink[]> {
  return orm(db)
    .select()
    .from(accountLinks)
    .where(
      and(
        eq(accountLinks.kind, 'invite'),
        isNull(accountLinks.usedAt),
        gt(accountLinks.expiresAt, now),
      ),
    )
    .orderBy(sql`${accountLinks.createdAt} desc`)
    .all()
}

/** Withdraw a link before it is used. */
export async function deleteLink(db: D1Database, id: string): Promise<boolean> {
  const result = await orm(db).delete(accountLinks).where(eq(accountLinks.id, id)).run()
  return result.meta.changes === 1
}

/** "The link can still be used at ?now": for the raw statements below, `?2` is the link id. */
const USABLE =
  'exists (select 1 from account_links where id = ?2 and used_at is null and expires_at > ?3)'

/**
 * Create the invited account and spend the link, in one transaction: of two racing uses exactly
 * one gets `true`. Throws D1's unique-constraint error when the name is taken (nothing spent).
 */
export async function redeemInvite(
  db: D1Database,
  link: AccountLink,
  user: { id: string; username: string; passwordHash: string },
  now: number,
): Promise<boolean> {
  const grants = link.grantsJson ? (JSON.parse(link.grantsJson) as Grant[]) : []
  const [created] = await db.batch([
    db
      .prepare(
        `insert into users (id, username, password_hash, role, deployment_scope)
         select ?1, ?4, ?5, ?6, ?7 where ${USABLE}`,
      )
      .bind(
        user.id,
        link.id,
        now,
        user.username,
        user.passwordHash,
        link.role ?? 'viewer',
        link.deploymentScope ?? 'all',
      ),
    insertGrants(db, user.id, grants),
    spend(db, link.id, now),
  ])
  return created?.meta.changes === 1
}

/**
 * Set the new password from a reset link and end every session of the account, in one
 * transaction; false when the link was spent or expired in the meantime.
 */
export async function redeemReset(
  db: D1Database,
  link: AccountLink,
  passwordHash: string,
  now: number,
): Promise<boolean> {
  if (!link.userId) return false
  const [changed] = await db.batch([
    db
      .prepare(`update users set password_hash = ?4, updated_at = ?3 where id = ?1 and ${USABLE}`)
      .bind(link.userId, link.id, now, passwordHash),
    db
      .prepare(`delete from sessions where user_id = ?1 and ${USABLE}`)
      .bind(link.userId, link.id, now),
    spend(db, link.id, now),
  ])
  return changed?.meta.changes === 1
}

function spend(db: D1Database, linkId: string, now: number) {
  return db
    .prepare('update account_links set used_at = ?2 where id = ?1 and used_at is null')
    .bind(linkId, now)
}

/** Which of these deployment ids exist (destroyed ones included: a grant on one is harmless). */
export async function existingDeploymentIds(
  db: D1Database,
  ids: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set()
  const rows = await orm(db)
    .select({ id: deployments.id })
    .from(deployments)
    .where(sql`${deployments.id} in (select value from json_each(${JSON.stringify(ids)}))`)
    .all()
  return new Set(rows.map((r) => r.id))
}
