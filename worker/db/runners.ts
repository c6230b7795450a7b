import { and, desc, eq, gt, isNull } from 'drizzle-orm'
import { orm } from './client'
import { runners } from './schema'

/** A runner as the dashboard lists it (never its key or code hash). */
export type RunnerListing = Pick<
  typeof runners.$inferSelect,
  | 'id'
  | 'name'
  | 'createdAt'
  | 'registeredAt'
  | 'lastSeenAt'
  | 'version'
  | 'maxJobs'
  | 'revokedAt'
  | 'codeExpiresAt'
>

/** Who a runner key belongs to. */
export type RunnerIdentity = Pick<typeof runners.$inferSelect, 'id' | 'name'>

/** A new runner waiting for its one-time code to be redeemed. */
export async function insertRunner(
  db: D1Database,
  runner: { id: string; name: string; codeHash: string; codeExpiresAt: number },
): Promise<void> {
  await orm(db).insert(runners).values(runner)
}

/** Every runner, newest first. */
export function listRunners(db: D1Database): Promise<RunnerListing[]> {
  return orm(db)
    .select({
      id: runners.id,
      name: runners.name,
      createdAt: runners.createdAt,
      registeredAt: runners.registeredAt,
      lastSeenAt: runners.lastSeenAt,
      version: runners.version,
      maxJobs: runners.maxJobs,
      revokedAt: runners.revokedAt,
      codeExpiresAt: runners.codeExpiresAt,
    })
    .from(runners)
    .orderBy(desc(runners.createdAt))
    .all()
}

/**
 * Revoke a runner in one statement: its key and code hashes go, so the key stops working at once.
 * Returns its name, or null when it does not exist or was revoked already.
 */
export async function revokeRunner(
  db: D1Database,
  id: string,
  at: number,
): Promise<{ name: string } | null> {
  const row = await orm(db)
    .update(runners)
    .set({ revokedAt: at, keyHash: null, codeHash: null })
    .where(and(eq(runners.id, id), isNull(runners.revokedAt)))
    .returning({ name: runners.name })
    .get()
  return row ?? null
}

/** Whether a runner with this id was ever created. */
export async function runnerExists(db: D1Database, id: string): Promise<boolean> {
  const row = await orm(db).select({ id: runners.id }).from(runners).where(eq(runners.id, id)).get()
  return row !== undefined
}

/**
 * Trade a one-time code for a key, in one statement: the code must be unused, unexpired and its
 * runner not revoked, so two redeems of one code cannot both win. Returns the runner, or null.
 */
export async function redeemCode(
  db: D1Database,
  redeem: { codeHash: string; keyHash: string; at: number; version: string | null },
): Promise<RunnerIdentity | null> {
  const row = await orm(db)
    .update(runners)
    .set({
      keyHash: redeem.keyHash,
      codeHash: null,
      codeExpiresAt: null,
      registeredAt: redeem.at,
      lastSeenAt: redeem.at,
      ...(redeem.version === null ? {} : { version: redeem.version }),
    })
    .where(
      and(
        eq(runners.codeHash, redeem.codeHash),
        isNull(runners.keyHash),
        isNull(runners.revokedAt),
        gt(runners.codeExpiresAt, redeem.at),
      ),
    )
    .returning({ id: runners.id, name: runners.name })
    .get()
  return row ?? null
}

/** The live (not revoked) runner whose key hashes to `keyHash`, or null. */
export async function runnerByKeyHash(
  db: D1Database,
  keyHash: string,
): Promise<RunnerIdentity | null> {
  const row = await orm(db)
    .select({ id: runners.id, name: runners.name })
    .from(runners)
    .where(and(eq(runners.keyHash, keyHash), isNull(runners.revokedAt)))
    .get()
  return row ?? null
}

/** What a runner said in its hello: its version, SSH public key and job slots. */
export async function recordHello(
  db: D1Database,
  id: string,
  hello: { version: string; sshPublicKey: string; maxJobs: number; at: number },
): Promise<void> {
  await orm(db)
    .update(runners)
    .set({
      version: hello.version,
      sshPublicKey: hello.sshPublicKey,
      maxJobs: hello.maxJobs,
      lastSeenAt: hello.at,
    })
    .where(eq(runners.id, id))
}

/** When a runner was last heard from (its control socket closed). */
export async function recordLastSeen(db: D1Database, id: string, at: number): Promise<void> {
  await orm(db).update(runners).set({ lastSeenAt: at }).where(eq(runners.id, id))
}

/** Whether a runner exists and was not revoked (the alerts keep quiet about a revoked one). */
export async function runnerActive(db: D1Database, id: string): Promise<boolean> {
  const row = await orm(db)
    .select({ id: runners.id })
    .from(runners)
    .where(and(eq(runners.id, id), isNull(runners.revokedAt)))
    .get()
  return row !== undefined
}
