import { env, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import type { DeploymentDO } from '../../worker/do/deployment'
import { LogStore } from '../../worker/do/log-store'
import type { DeploymentLogLine, LogLine } from '../../core/protocol'

/** A fresh Durable Object's storage, for the log store alone. */
async function withStorage<T>(fn: (sql: SqlStorage) => T): Promise<T> {
  const stub = env.DEPLOYMENT.get(env.DEPLOYMENT.idFromName(`log-store-${crypto.randomUUID()}`))
  return runInDurableObject(stub, (_instance: DeploymentDO, state) => fn(state.storage.sql))
}

const lines = (from: number, count: number, text = (i: number) => `line ${i}`): LogLine[] =>
  Array.from({ length: count }, (_, i) => ({
    seq: from + i,
    ts: 1_700_000_000_000 + from + i,
    stream: 'stdout',
    step: 'provision',
    text: text(from + i),
  }))

const seqs = (ls: readonly { seq: number }[]) => ls.map((l) => l.seq)
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe('LogStore (chunks of lines in the Durable Object)', () => {
  it('reads back from any seq, inside a chunk or at its edge, up to the limit', async () => {
    await withStorage((sql) => {
      const store = new LogStore(sql)
      expect(store.lastSeq()).toBe(0)
      expect(store.read(0, 10)).toEqual([])
      // Runner seqs are renumbered per deployment: the store numbers from firstSeq.
      store.append('job-1', lines(1, 3), 1)
      store.append('job-1', lines(4, 5), 4)
      store.append('job-2', lines(1, 2), 9)
      expect(store.lastSeq()).toBe(10)
      expect(seqs(store.read(0, 100))).toEqual(range(1, 10))
      expect(seqs(store.read(2, 100))).toEqual(range(3, 10))
      expect(seqs(store.read(3, 100))).toEqual(range(4, 10))
      expect(seqs(store.read(5, 2))).toEqual([6, 7])
      expect(seqs(store.read(10, 5))).toEqual([])
      expect(store.read(8, 1)[0]).toEqual({
        seq: 9,
        ts: 1_700_000_000_001,
        step: 'provision',
        stream: 'stdout',
        text: 'line 1',
      })
    })
  })

  it('replays as frames of whole lines, each line once and in order, from any seq', async () => {
    await withStorage((sql) => {
      const store = new LogStore(sql)
      let next = 1
      for (const n of [700, 1, 2_000, 1_300, 5]) {
        store.append('job-1', lines(next, n), next)
        next += n
      }
      for (const after of [0, 1, 350, 700, 701, 702, 2_701, 4_000, 4_006]) {
        const replayed = [...store.replay(after)].flatMap(
          (json) => JSON.parse(json) as DeploymentLogLine[],
        )
        expect(seqs(replayed)).toEqual(range(after + 1, 4_006))
      }
    })
  })

  it('splits a batch too large for one row and keeps every line', async () => {
    await withStorage((sql) => {
      const store = new LogStore(sql)
      const long = lines(1, 100, (i) => `${i} ${'x'.repeat(16_000)}`)
      store.append('job-1', long, 1)
      const rows = sql.exec<{ n: number }>('select count(*) as n from log_chunks').one().n
      expect(rows).toBeGreaterThan(1)
      const back = store.read(0, 1_000)
      expect(seqs(back)).toEqual(range(1, 100))
      expect(back.map((l) => l.text)).toEqual(long.map((l) => l.text))
    })
  })

  it('moves logs stored one row per line (before chunks) into chunks, per job, once', async () => {
    await withStorage((sql) => {
      sql.exec(`create table logs (seq integer primary key, job_id text not null,
        ts integer not null, step text, stream text not null, text text not null)`)
      for (let seq = 1; seq <= 2_500; seq++) {
        sql.exec(
          'insert into logs values (?, ?, ?, ?, ?, ?)',
          seq,
          seq <= 2_100 ? 'job-1' : 'job-2',
          seq,
          seq % 2 ? 'clone' : null,
          'stdout',
          `old ${seq}`,
        )
      }
      const store = new LogStore(sql)
      expect(store.lastSeq()).toBe(2_500)
      const back = store.read(0, 5_000)
      expect(seqs(back)).toEqual(range(1, 2_500))
      expect(back[1]).toEqual({ seq: 2, ts: 2, step: null, stream: 'stdout', text: 'old 2' })
      const jobs = sql
        .exec<{ job: string; n: number }>(
          'select job_id as job, sum(last_seq - first_seq + 1) as n from log_chunks group by job_id order by job_id',
        )
        .toArray()
      expect(jobs).toEqual([
        { job: 'job-1', n: 2_100 },
        { job: 'job-2', n: 400 },
      ])
      const legacy = sql
        .exec<{ n: number }>(`select count(*) as n from sqlite_master where name = 'logs'`)
        .one().n
      expect(legacy).toBe(0)
      // A second construction (the next wake-up) finds nothing left to move.
      expect(seqs(new LogStore(sql).read(2_498, 10))).toEqual([2_499, 2_500])
    })
  })

  it('mirrors to D1 from any watermark, every line once', async () => {
    const deploymentId = `mirror-${crypto.randomUUID()}`
    const watermark = await withStorage(async (sql) => {
      const store = new LogStore(sql)
      store.append('job-1', lines(1, 3_000), 1)
      store.append('job-2', lines(1, 2_500), 3_001)
      // Half of the first chunk is in D1 already (an eviction mid-mirror): sent again, ignored.
      return store.mirrorToD1(env.DB, deploymentId, 1_500)
    })
    expect(watermark).toBe(5_500)
    const rows = await env.DB.prepare(
      `select job_id as job, count(*) as n, min(seq) as lo, max(seq) as hi from deployment_logs
       where deployment_id = ?1 group by job_id order by job_id`,
    )
      .bind(deploymentId)
      .all()
    expect(rows.results).toEqual([
      { job: 'job-1', n: 1_500, lo: 1_501, hi: 3_000 },
      { job: 'job-2', n: 2_500, lo: 3_001, hi: 5_500 },
    ])
  })
})
