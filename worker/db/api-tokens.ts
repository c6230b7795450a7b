import { and, desc, eq, isNull } from 'drizzle-orm'
import type { DeploymentScope, Role } from '../../core/people'
import { orm } from './client'
import { apiTokens, users } from './schema'

export type ApiTokenRow = typeof apiTokens.$inferSelect

/** A token as its owner sees it in the list: never its hash. */
export function tokenView(row: ApiTokenRow) {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    deploymentIds: row.deploymentIdsJson ? (JSON.parse(row.deploymentIdsJson) as string[]) : null,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  }
}

export async function insertToken(
  db: D1Database,
  row: Omit<typeof apiTokens.$inferInsert, 'createdAt' | 'lastUsedAt' | 'revokedAt'>,
): Promise<ApiTokenRow> {
  const [inserted] = await orm(db).insert(apiTokens).values(row).returning()
  if (!inserted) throw new Error('token insert returned no row')
  return inserted
}

/** An account's tokens, newest first. */
export function tokensOf(db: D1Database, userId: string): Promise<ApiTokenRow[]> {
  return orm(db)
    .select()
    .from(apiTokens)
    .where(eq(apiTokens.userId, userId))
    .orderBy(desc(apiTokens.createdAt))
    .all()
}

/** Revoke one of an account's tokens; false when it is not theirs or already revoked. */
export async function revokeToken(
  db: D1Database,
  userId: string,
  id: string,
  at: number,
): Promise<boolean> {
  const result = await orm(db)
    .update(apiTokens)
    .set({ revokedAt: at })
    .where(and(eq(apiTokens.id, id), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
    .run()
  return result.meta.changes === 1
}

/** What a presented token stands for, with its user; null when no such token exists. */
export interface TokenWithUser {
  token: ApiTokenRow
  user: { id: string; username: string; role: Role; deploymentScope: DeploymentScope }
  userDisabled: boolean
}

export async function tokenByHash(
  db: D1Database,
  tokenHash: string,
): Promise<TokenWithUser | null> {
  const row = await orm(db)
    .select({
      token: apiTokens,
      id: users.id,
      username: users.username,
      role: users.role,
      deploymentScope: users.deploymentScope,
      disabledAt: users.disabledAt,
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.tokenHash, tokenHash))
    .get()
  if (!row) return null
  const { token, disabledAt, ...user } = row
  return { token, user, userDisabled: disabledAt !== null }
}

/** Note that a token was used at `at`. */
export async function touchToken(db: D1Database, id: string, at: number): Promise<void> {
  await orm(db).update(apiTokens).set({ lastUsedAt: at }).where(eq(apiTokens.id, id))
}
