import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { leasedCounts, leaseNextJob, type ReadCount } from '../../worker/db/jobs'

/**
 * The queue the hub leases from: what one dispatch reads in D1 must not grow with the number of
 * jobs in the table (done ones pile up forever, hundreds may be queued at once).
 */

const T0 = 1_800_000_000_000

async function seed(runnerId: string, counts: { done: number; leased: number; queued: number }) {
  await env.DB.prepare('delete from jobs').run()
  const rows: [string, string, number][] = []
  for (let i = 0; i < counts.done; i++) rows.push([`done-${i}`, 'done', T0 + i])
  for (let i = 0; i < counts.leased; i++) rows.push([`leased-${i}`, 'leased', T0 + i])
  // A burst: every queued job created in the same millisecond, as a bulk create can.
  for (let i = 0; i < counts.queued; i++)
    rows.push([`queued-${String(i).padStart(4, '0')}`, 'queued', T0 + 9_999])
  const insert = env.DB.prepare(
    `insert into jobs (id, deployment_id, kind, status, runner_id, created_at, updated_at)
     values (?1, ?2, 'deploy', ?3, ?4, ?5, ?5)`,
  )
  for (let i = 0; i < rows.length; i += 200)
    await env.DB.batch(
      rows
        .slice(i, i + 200)
        .map(([id, status, at]) =>
          insert.bind(id, `dep-${id}`, status, status === 'leased' ? runnerId : null, at),
        ),
    )
}

async function dispatchReads(runnerId: string): Promise<{ reads: number; leased: string | null }> {
  const reads: ReadCount = { rowsRead: 0 }
  const busy = await leasedCounts(env.DB, reads)
  expect(busy.get(runnerId)).toBeGreaterThan(0)
  const job = await leaseNextJob(env.DB, runnerId, reads)
  return { reads: reads.rowsRead, leased: job?.id ?? null }
}

describe('the job queue', () => {
  it('leases the oldest queued job, reading no more rows with 5,000 jobs than with 50', async () => {
    await seed('r-1', { done: 40, leased: 5, queued: 5 })
    const small = await dispatchReads('r-1')
    await seed('r-1', { done: 5_000, leased: 5, queued: 500 })
    const large = await dispatchReads('r-1')
    expect(small.leased).toBe('queued-0000')
    expect(large.leased).toBe('queued-0000')
    expect(small.reads).toBeGreaterThan(0)
    expect(large.reads).toBe(small.reads)
  })

  it('counts each runner’s leased jobs', async () => {
    await seed('r-2', { done: 3, leased: 4, queued: 2 })
    expect(await leasedCounts(env.DB)).toEqual(new Map([['r-2', 4]]))
  })
})
