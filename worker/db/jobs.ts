import { and, asc, count, eq, inArray, sql } from 'drizzle-orm'
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

/** How many jobs each runner holds, by runner id (runners holding none are absent). */
export async function leasedCounts(db: D1Database): Promise<Map<string, number>> {
  const rows = await orm(db)
    .select({ runnerId: jobs.runnerId, n: count() })
    .from(jobs)
    .where(eq(jobs.status, 'leased'))
    .groupBy(jobs.runnerId)
    .all()
  return new Map(rows.flatMap((r) => (r.runnerId === null ? [] : [[r.runnerId, r.n] as const])))
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
export async function leaseNextJob(db: D1Database, runnerId: string): Promise<LeasedJob | null> {
  const d = orm(db)
  const oldest = d
    .select({ id: jobs.id })
    .from(jobs)
    .where(eq(jobs.status, 'queued'))
    .orderBy(asc(jobs.createdAt), asc(jobs.id))
    .limit(1)
  const rows = await d
    .update(jobs)
    .set({ status: 'leased', runnerId, attempt: sql`${jobs.attempt} + 1`, updatedAt: Date.now() })
    .where(and(inArray(jobs.id, oldest), eq(jobs.status, 'queued')))
    .returning({
      id: jobs.id,
      deploymentId: jobs.deploymentId,
      kind: jobs.kind,
      attempt: jobs.attempt,
    })
  return rows[0] ?? null
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
