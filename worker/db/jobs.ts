import { and, count, eq } from 'drizzle-orm'
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

/** The deployment of a job leased to `runnerId`, or null when it is not (any more). */
export async function leasedJobDeployment(
  db: D1Database,
  jobId: string,
  runnerId: string,
): Promise<string | null> {
  const row = await orm(db)
    .select({ deploymentId: jobs.deploymentId })
    .from(jobs)
    .where(and(eq(jobs.id, jobId), eq(jobs.runnerId, runnerId), eq(jobs.status, 'leased')))
    .get()
  return row?.deploymentId ?? null
}
