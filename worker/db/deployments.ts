import { and, asc, desc, eq, gt, inArray, isNotNull, ne, notInArray, sql } from 'drizzle-orm'
import { WATCHED, type DeploymentStatus } from '../../core/deployment/status'
import type { DeploymentSpec } from '../../core/protocol'
import { orm } from './client'
import { deployments } from './schema'

/** A deployment whose live status a runner refreshes: it has a VM and an address. */
export interface WatchedRow {
  id: string
  vmid: number
  ip: string
  game: string
  inputsJson: string
  runnerId: string | null
}

/** The deployments in a watched status (ready, stopped) that have a VM, oldest first. */
export async function watchedDeployments(db: D1Database, limit: number): Promise<WatchedRow[]> {
  const rows = await orm(db)
    .select({
      id: deployments.id,
      vmid: deployments.vmid,
      ip: deployments.ip,
      game: deployments.game,
      inputsJson: deployments.inputsJson,
      runnerId: deployments.runnerId,
    })
    .from(deployments)
    .where(and(inArray(deployments.status, WATCHED), isNotNull(deployments.vmid)))
    .orderBy(asc(deployments.createdAt))
    .limit(limit)
    .all()
  // Every deployment with a VM got its address first.
  return rows.flatMap(({ vmid, ip, ...r }) =>
    vmid === null || ip === null ? [] : [{ ...r, vmid, ip }],
  )
}

/** What a sweep needs to know of the deployment a VM names. */
export type DeploymentOfVm = Pick<
  typeof deployments.$inferSelect,
  'id' | 'name' | 'status' | 'vmid'
>

/** The deployments with these ids, compared case-insensitively (VM tags are lower-case). */
export function deploymentsByIds(
  db: D1Database,
  ids: readonly string[],
): Promise<DeploymentOfVm[]> {
  return (
    orm(db)
      .select({
        id: deployments.id,
        name: deployments.name,
        status: deployments.status,
        vmid: deployments.vmid,
      })
      .from(deployments)
      // json_each: one bound parameter for any number of ids (D1 allows 100 per statement).
      .where(
        sql`lower(${deployments.id}) in (select lower(value) from json_each(${JSON.stringify(ids)}))`,
      )
      .all()
  )
}

/** The addresses held by deployments that are not destroyed. */
export async function addressesInUse(db: D1Database): Promise<string[]> {
  const rows = await orm(db)
    .select({ ip: deployments.ip })
    .from(deployments)
    .where(and(ne(deployments.status, 'destroyed'), isNotNull(deployments.ip)))
    .all()
  return rows.flatMap((r) => (r.ip === null ? [] : [r.ip]))
}

/**
 * A deployment's sealed game secrets sit inside `inputs_json`; SQLite's JSON functions read and
 * swap that one field in place, so a key rotation neither loads nor rewrites the rest.
 */
const sealedSecrets = sql<
  string | null
>`json_extract(${deployments.inputsJson}, '$.gameSecretsEnc')`

/** How many deployments hold sealed secrets, and how many of those start with `prefix`. */
export async function sealedSecretCounts(
  db: D1Database,
  prefix: string,
): Promise<{ total: number; current: number }> {
  const row = await orm(db)
    .select({
      total: sql<number>`count(*)`,
      current: sql<number>`coalesce(sum(substr(${sealedSecrets}, 1, ${prefix.length}) = ${prefix}), 0)`,
    })
    .from(deployments)
    .where(isNotNull(sealedSecrets))
    .get()
  return { total: row?.total ?? 0, current: row?.current ?? 0 }
}

/** One page of deployments' sealed secrets, by id after `after`. */
export function sealedSecretsPage(
  db: D1Database,
  after: string,
  limit: number,
): Promise<{ id: string; sealed: string }[]> {
  return orm(db)
    .select({ id: deployments.id, sealed: sql<string>`${sealedSecrets}` })
    .from(deployments)
    .where(and(gt(deployments.id, after), isNotNull(sealedSecrets)))
    .orderBy(asc(deployments.id))
    .limit(limit)
    .all()
}

/**
 * Replace a deployment's sealed secrets, only if they are still `previous` (nothing sealed them
 * again meanwhile). A statement for `replaceSealedSecrets`' batch.
 */
function replaceSealed(db: D1Database, id: string, next: string, previous: string) {
  return orm(db)
    .update(deployments)
    .set({ inputsJson: sql`json_set(${deployments.inputsJson}, '$.gameSecretsEnc', ${next})` })
    .where(and(eq(deployments.id, id), sql`${sealedSecrets} = ${previous}`))
}

/** Replace several deployments' sealed secrets in one batch; returns how many rows changed. */
export async function replaceSealedSecrets(
  db: D1Database,
  updates: readonly { id: string; next: string; previous: string }[],
): Promise<number> {
  const [first, ...rest] = updates.map((u) => replaceSealed(db, u.id, u.next, u.previous))
  if (!first) return 0
  const results = await orm(db).batch([first, ...rest])
  return results.reduce((n, r) => n + (r.meta.changes ?? 0), 0)
}

/** A deployment's row as D1 holds it. */
export type DeploymentRow = typeof deployments.$inferSelect

/** One deployment, or null when there is none with this id. */
export async function deploymentById(db: D1Database, id: string): Promise<DeploymentRow | null> {
  return (await orm(db).select().from(deployments).where(eq(deployments.id, id)).get()) ?? null
}

/** The newest record of `game` (e.g. the last template job), or null. */
export async function latestOfGame(db: D1Database, game: string): Promise<DeploymentRow | null> {
  const row = await orm(db)
    .select()
    .from(deployments)
    .where(eq(deployments.game, game))
    .orderBy(desc(deployments.createdAt), asc(deployments.id))
    .limit(1)
    .get()
  return row ?? null
}

/** The newest deployments first, only those in `status` when given, none of `exceptGames`. */
export function listDeployments(
  db: D1Database,
  status: DeploymentStatus | null,
  limit: number,
  exceptGames: readonly string[],
  /** Only these deployments (an account limited to its grants); null: all. */
  onlyIds: readonly string[] | null = null,
): Promise<DeploymentRow[]> {
  return orm(db)
    .select()
    .from(deployments)
    .where(
      and(
        notInArray(deployments.game, [...exceptGames]),
        status === null ? undefined : eq(deployments.status, status),
        onlyIds === null
          ? undefined
          : sql`${deployments.id} in (select value from json_each(${JSON.stringify(onlyIds)}))`,
      ),
    )
    .orderBy(desc(deployments.createdAt))
    .limit(limit)
    .all()
}

/**
 * Insert a new deployment, queued, and return its row. Throws D1's unique-constraint error when
 * another deployment that is not destroyed holds the address (see `isAddressTaken`).
 */
export async function insertDeployment(
  db: D1Database,
  row: Pick<DeploymentRow, 'id' | 'name' | 'game' | 'inputsJson' | 'ip' | 'createdBy'>,
): Promise<DeploymentRow> {
  const [inserted] = await orm(db)
    .insert(deployments)
    .values({ ...row, status: 'queued' })
    .returning()
  if (!inserted) throw new Error('the new deployment row came back empty')
  return inserted
}

/** Whether an insert failed because a live deployment holds the address (drizzle wraps D1's error). */
export function isAddressTaken(err: unknown): boolean {
  const taken = /UNIQUE constraint failed: deployments\.ip/i
  return taken.test(String(err)) || (err instanceof Error && taken.test(String(err.cause)))
}

/** Give a record's address back to the pool (a bake job's VM became a template). */
export async function releaseAddress(db: D1Database, id: string): Promise<void> {
  await orm(db).update(deployments).set({ ip: null }).where(eq(deployments.id, id)).run()
}

/** What the deployment's Durable Object mirrors into its row. */
export type DeploymentMirror = Pick<
  DeploymentRow,
  'status' | 'vmid' | 'errorJson' | 'resultJson' | 'runnerId' | 'liveJson'
>

/** Copy the deployment's current state into its row (the list and the hub read the row). */
export async function mirrorDeployment(
  db: D1Database,
  id: string,
  mirror: DeploymentMirror,
): Promise<void> {
  await orm(db)
    .update(deployments)
    .set({ ...mirror, updatedAt: Date.now() })
    .where(eq(deployments.id, id))
}

/**
 * A deployment's sealed game secrets (null when it has none), or undefined when there is no such
 * deployment. Only that field is read: the rest of the spec is the deployment object's.
 */
export async function sealedGameSecretsOf(
  db: D1Database,
  id: string,
): Promise<string | null | undefined> {
  const row = await orm(db)
    .select({ sealed: sealedSecrets })
    .from(deployments)
    .where(eq(deployments.id, id))
    .get()
  return row === undefined ? undefined : row.sealed
}

/**
 * A row's stored inputs. The column is written only by `insertDeployment` (from a validated spec)
 * and by the re-seal, which swaps `gameSecretsEnc` alone, so it is read without a second parse.
 */
export function storedInputs(row: { inputsJson: string }): StoredInputs {
  return JSON.parse(row.inputsJson) as StoredInputs
}

/** How the deployment's inputs are stored in D1 (`deployments.inputs_json`). */
export interface StoredInputs {
  spec: DeploymentSpec
  /**
   * The game's generated secrets and its sensitive config fields, sealed with APP_ENC_KEY
   * (lib/game-secrets.ts); never returned by the API. `spec.gameConfig` lacks those fields.
   */
  gameSecretsEnc: string | null
}
