import type { DeploymentLogLine, LogLine } from '../../core/protocol'

/** Lines per D1 statement when mirroring: one JSON parameter carries them all. */
const MIRROR_CHUNK = 2_000
/** Lines per dashboard frame when replaying history. */
export const REPLAY_CHUNK = 2_000

/**
 * A deployment's log, in the DO's own SQLite: the durable copy that acks are given against and
 * that dashboards resume from. `seq` is per deployment, gap-free from 1. D1's `deployment_logs`
 * is a mirror, filled in batches behind it.
 */
export class LogStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`create table if not exists logs (
      seq integer primary key,
      job_id text not null,
      ts integer not null,
      step text,
      stream text not null,
      text text not null
    )`)
  }

  /** The highest seq stored, 0 when empty. */
  lastSeq(): number {
    const row = this.sql.exec<{ s: number | null }>('select max(seq) as s from logs').one()
    return row.s ?? 0
  }

  /** Append lines in order; returns them with their deployment seq. */
  append(
    jobId: string,
    lines: readonly LogLine[],
    firstSeq: number,
  ): { lines: DeploymentLogLine[]; json: string } {
    const out: DeploymentLogLine[] = lines.map((line, i) => ({
      seq: firstSeq + i,
      ts: line.ts,
      step: line.step ?? null,
      stream: line.stream,
      text: line.text,
    }))
    // One statement for the whole batch: a call per row costs more than the row itself. The JSON
    // is returned too, so the broadcast does not encode the lines a second time.
    const json = JSON.stringify(out)
    this.sql.exec(
      `insert into logs (seq, job_id, ts, step, stream, text)
       select json_extract(value, '$.seq'), ?1, json_extract(value, '$.ts'), json_extract(value, '$.step'),
              json_extract(value, '$.stream'), json_extract(value, '$.text')
       from json_each(?2)`,
      jobId,
      json,
    )
    return { lines: out, json }
  }

  /** Lines with seq > after, oldest first, at most `limit`. */
  read(after: number, limit: number): DeploymentLogLine[] {
    return this.sql
      .exec<{ seq: number; ts: number; step: string | null; stream: string; text: string }>(
        'select seq, ts, step, stream, text from logs where seq > ? order by seq limit ?',
        after,
        limit,
      )
      .toArray() as DeploymentLogLine[]
  }

  /**
   * Copy lines after `flushedSeq` to D1's `deployment_logs` in a few large statements. Returns the
   * new watermark. `insert or ignore` makes a repeated flush (after an eviction) harmless.
   */
  async mirrorToD1(db: D1Database, deploymentId: string, flushedSeq: number): Promise<number> {
    let watermark = flushedSeq
    for (let round = 0; round < 50; round++) {
      // SQLite builds the JSON payload itself: no JS object per row on the way to D1.
      const chunk = this.sql
        .exec<{ payload: string | null; last: number | null; n: number }>(
          `select json_group_array(json_array(seq, job_id, ts, step, stream, text)) as payload,
                  max(seq) as last, count(*) as n
           from (select * from logs where seq > ? order by seq limit ?)`,
          watermark,
          MIRROR_CHUNK,
        )
        .one()
      if (chunk.n === 0 || chunk.payload === null || chunk.last === null) break
      await db
        .prepare(
          `insert or ignore into deployment_logs (deployment_id, seq, job_id, ts, step, stream, text)
           select ?1, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
                  json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]')
           from json_each(?2)`,
        )
        .bind(deploymentId, chunk.payload)
        .run()
      watermark = chunk.last
    }
    return watermark
  }
}
