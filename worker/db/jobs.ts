import { and, asc, eq, sql } from 'drizzle-orm'
import type { JobKind } from '../../core/protocol'
import { orm } from './client'
import { jobs } from './schema'

/** A job as the hub hands it out. */
export type LeasedJob = Pick<typeof jobs.$inferSelect, 'id' | 'deploymentId' | 'kind' | 'attempt'>

/** The jobs currently leased to a runner. */
export function jobsLeasedTo(db: D1Database, runnerId: string): Promise<LeasedJob[]> {
  return orm(db)
    .select({
      id: jobs.id,
      deploymentId: jobs.deploymentId,
      kind: jobs.kind,
      attempt: jobs.attempt,
    })
    .from(jobs)
    .where(and(eq(jobs.runnerId, runnerId), eq(jobs.status, 'leased')))
    .all()
}

/** What a query cost in D1: rows read, added up by the caller that passed it. */
export interface ReadCount {
  rowsRead: number
}

/** How many jobs each runner holds, by runner id (runners holding none are absent). */
export async function leasedCounts(
  db: D1Database,
  reads?: ReadCount,
): Promise<Map<string, number>> {
  const result = await orm(db)
    .select({ runnerId: jobs.runnerId, n: sql<number>`count(*)`.as('n') })
    .from(jobs)
    .where(eq(jobs.status, 'leased'))
    .groupBy(jobs.runnerId)
    .run()
  if (reads) reads.rowsRead += result.meta.rows_read ?? 0
  const rows = result.results as { runner_id: string | null; n: number }[]
  return new Map(rows.flatMap((r) => (r.runner_id === null ? [] : [[r.runner_id, r.n] as const])))
}

/** Drop a lease whose deployment moved on meanwhile (cancelled): the job will not run. */
export async function voidLease(db: D1Database, jobId: string): Promise<void> {
  await orm(db)
    .update(jobs)
    .set({ status: 'cancelled' })
    .where(and(eq(jobs.id, jobId), eq(jobs.status, 'leased')))
}

/** The statement that queues a job (the caller then asks the hub to dispatch), to batch. */
export function jobInsert(db: D1Database, deploymentId: string, jobId: string, kind: JobKind) {
  return orm(db).insert(jobs).values({ id: jobId, deploymentId, kind, status: 'queued' })
}

/**
 * Lease the oldest queued job to `runnerId`, atomically: the sub-select and the update are one
 * statement, and the update checks the status again, so two dispatchers never lease one job.
 * Returns the leased job, or null when the queue is empty.
 */
export async function leaseNextJob(
  db: D1Database,
  runnerId: string,
  reads?: ReadCount,
): Promise<LeasedJob | null> {
  const d = orm(db)
  const oldest = d
    .select({ id: jobs.id })
    .from(jobs)
    .where(eq(jobs.status, 'queued'))
    // Ties in the same millisecond go in insertion order: the status index holds the rowid, so
    // the oldest is its first entry, with no sort of the queue.
    .orderBy(asc(jobs.createdAt), sql`rowid`)
    .limit(1)
  const result = await d
    .update(jobs)
    .set({ status: 'leased', runnerId, attempt: sql`${jobs.attempt} + 1`, updatedAt: Date.now() })
    // `id = (…)`, not `id in (…)`: with `in`, SQLite walked every queued row of the status index
    // to test it against the list; a scalar lets it look the one job up by its key.
    .where(and(eq(jobs.id, sql`(${oldest})`), eq(jobs.status, 'queued')))
    .returning({
      id: jobs.id,
      deploymentId: jobs.deploymentId,
      kind: jobs.kind,
      attempt: jobs.attempt,
    })
    .run()
  if (reads) reads.rowsRead += result.meta.rows_read ?? 0
  const row = (
    result.results as { id: string; deployment_id: string; kind: JobKind; attempt: number }[]
  )[0]
  return row
    ? { id: row.id, deploymentId: row.deployment_id, kind: row.kind, attempt: row.attempt }
    : null
}

/** Take a job out of the queue; false when it is not queued any more (a runner leased it). */
export async function cancelQueuedJob(db: D1Database, jobId: string): Promise<boolean> {
  const result = await orm(db)
    .update(jobs)
    .set({ status: 'cancelled', updatedAt: Date.now() })
    .where(and(eq(jobs.id, jobId), eq(jobs.status, 'queued')))
    .run()
  return result.meta.changes > 0
}

/** Put a leased job back in the queue (its runner was lost), for the next runner to take. */
export async function requeueLeasedJob(db: D1Database, jobId: string): Promise<void> {
  await orm(db)
    .update(jobs)
    .set({ status: 'queued', runnerId: null, updatedAt: Date.now() })
    .where(and(eq(jobs.id, jobId), eq(jobs.status, 'leased')))
}

/** Record how a job ended. */
export async function closeJob(
  db: D1Database,
  jobId: string,
  status: 'done' | 'failed' | 'cancelled',
): Promise<void> {
  await orm(db).update(jobs).set({ status, updatedAt: Date.now() }).where(eq(jobs.id, jobId))
}
