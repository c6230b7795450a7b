import type { DeploymentLogLine, LogLine } from '../../core/protocol'
import { mirrorLogLines } from '../db/deployment-logs'

/** Lines per D1 statement when mirroring, about: whole chunks are sent, one JSON parameter. */
const MIRROR_LINES = 4_000
/** A D1 statement's JSON parameter stays under this (D1 caps a string at 2 MB). */
const MIRROR_CHARS = 1_000_000
/** Lines per dashboard frame when replaying history. */
export const REPLAY_CHUNK = 2_000
/** A chunk row's JSON stays under this (a Durable Object's SQLite row is capped at 2 MB). */
const CHUNK_CHARS = 512 * 1024

// A type, not an interface: the SQL cursor's row type needs an index signature.
type Chunk = { first: number; last: number; job: string; json: string }

/**
 * A deployment's log, in the DO's own SQLite: the durable copy that acks are given against and
 * that dashboards resume from. `seq` is per deployment, gap-free from 1. D1's `deployment_logs`
 * is a mirror, filled in batches behind it.
 *
 * Stored as chunks: one row per batch the runner sent, holding its lines as the JSON array the
 * dashboards are sent. A row per line cost more than everything else a batch does (one SQLite
 * insert and five json_extract calls per line, and the same again to read them back for D1);
 * a chunk is one insert, and replay and the mirror send its JSON as it is.
 */
export class LogStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`create table if not exists log_chunks (
      first_seq integer primary key,
      last_seq integer not null,
      job_id text not null,
      lines text not null
    )`)
    this.migrateLineRows()
  }

  /** The highest seq stored, 0 when empty. */
  lastSeq(): number {
    const rows = this.sql
      .exec<{ s: number }>('select last_seq as s from log_chunks order by first_seq desc limit 1')
      .toArray()
    return rows[0]?.s ?? 0
  }

  /** Append lines in order; returns them with their deployment seq, and as JSON. */
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
    // The JSON is returned too, so the broadcast does not encode the lines a second time.
    const json = JSON.stringify(out)
    if (out.length > 0) this.insertChunks(jobId, out, json)
    return { lines: out, json }
  }

  /** One row, or a few when the JSON is too large for one (long lines). */
  private insertChunks(jobId: string, lines: DeploymentLogLine[], json: string): void {
    if (json.length > CHUNK_CHARS && lines.length > 1) {
      const half = lines.length >> 1
      const head = lines.slice(0, half)
      const tail = lines.slice(half)
      this.insertChunks(jobId, head, JSON.stringify(head))
      this.insertChunks(jobId, tail, JSON.stringify(tail))
      return
    }
    const first = lines[0]?.seq ?? 0
    const last = lines[lines.length - 1]?.seq ?? first
    this.sql.exec(
      'insert into log_chunks (first_seq, last_seq, job_id, lines) values (?, ?, ?, ?)',
      first,
      last,
      jobId,
      json,
    )
  }

  /** Chunks holding lines with seq > after, oldest first, until about `lines` lines are covered. */
  private chunksAfter(after: number, lines: number): Chunk[] {
    const cols = 'first_seq as first, last_seq as last, job_id as job, lines as json'
    // The chunk holding `after + 1` (usually none: readers ask from a chunk's end), then the
    // ones starting after it, a few at a time: each is a range read on the primary key.
    const rows = this.sql
      .exec<Chunk>(
        `select ${cols} from log_chunks where first_seq <= ? order by first_seq desc limit 1`,
        after,
      )
      .toArray()
      .filter((r) => r.last > after)
    let covered = rows.reduce((n, r) => n + r.last - after, 0)
    let from = after
    for (let round = 0; round < 10_000 && covered < lines; round++) {
      const next = this.sql
        .exec<Chunk>(
          `select ${cols} from log_chunks where first_seq > ? order by first_seq limit 4`,
          from,
        )
        .toArray()
      for (const r of next) {
        rows.push(r)
        covered += r.last - r.first + 1
        from = r.first
      }
      if (next.length < 4) break
    }
    return rows
  }

  /** Lines with seq > after, oldest first, at most `limit`. */
  read(after: number, limit: number): DeploymentLogLine[] {
    const out: DeploymentLogLine[] = []
    for (const chunk of this.chunksAfter(after, limit)) {
      for (const line of JSON.parse(chunk.json) as DeploymentLogLine[]) {
        if (line.seq <= after) continue
        if (out.length >= limit) return out
        out.push(line)
      }
    }
    return out
  }

  /**
   * Lines with seq > after as `logs` frames' JSON arrays, oldest first, for a dashboard catching
   * up: a chunk wholly after `after` is sent as stored, without decoding it.
   */
  *replay(after: number): Generator<string> {
    for (let from = after, round = 0; round < 1_000_000; round++) {
      const chunks = this.chunksAfter(from, REPLAY_CHUNK)
      if (chunks.length === 0) return
      for (const chunk of chunks) {
        if (chunk.first > from) yield chunk.json
        else {
          const rest = (JSON.parse(chunk.json) as DeploymentLogLine[]).filter((l) => l.seq > from)
          if (rest.length > 0) yield JSON.stringify(rest)
        }
        from = chunk.last
      }
    }
  }

  /**
   * Copy lines after `flushedSeq` to D1's `deployment_logs` in a few large statements. Returns the
   * new watermark. `insert or ignore` makes a repeated flush (after an eviction, or of a chunk
   * that was half mirrored before) harmless.
   */
  async mirrorToD1(db: D1Database, deploymentId: string, flushedSeq: number): Promise<number> {
    let watermark = flushedSeq
    for (let round = 0; round < 50; round++) {
      const chunks = this.chunksAfter(watermark, MIRROR_LINES)
      if (chunks.length === 0) break
      // Chunks of one job, their JSON arrays spliced into one, up to the statement's budget.
      const job = chunks[0]?.job ?? ''
      const parts: string[] = []
      let chars = 0
      let last = watermark
      for (const chunk of chunks) {
        if (chunk.job !== job) break
        if (parts.length > 0 && chars + chunk.json.length > MIRROR_CHARS) break
        parts.push(chunk.json.slice(1, -1))
        chars += chunk.json.length
        last = chunk.last
      }
      await mirrorLogLines(db, deploymentId, job, `[${parts.join(',')}]`, watermark)
      watermark = last
    }
    return watermark
  }

  /**
   * Logs stored before chunks (one row per line, table `logs`) become chunks, once, in the
   * object's first request after an update; then the old table is dropped.
   */
  private migrateLineRows(): void {
    const old = this.sql
      .exec<{ n: number }>(
        `select count(*) as n from sqlite_master where type = 'table' and name = 'logs'`,
      )
      .one()
    if (old.n === 0) return
    let after = this.lastSeq()
    for (let round = 0; round < 1_000_000; round++) {
      const rows = this.sql
        .exec<{
          seq: number
          job_id: string
          ts: number
          step: string | null
          stream: string
          text: string
        }>(
          'select seq, job_id, ts, step, stream, text from logs where seq > ? order by seq limit ?',
          after,
          REPLAY_CHUNK,
        )
        .toArray()
      if (rows.length === 0) break
      // A chunk holds one job's lines: cut where the job changes.
      const job = rows[0]?.job_id ?? ''
      const cut = rows.findIndex((r) => r.job_id !== job)
      const same = cut < 0 ? rows : rows.slice(0, cut)
      const lines = same.map(({ seq, ts, step, stream, text }) => ({ seq, ts, step, stream, text }))
      this.insertChunks(job, lines as DeploymentLogLine[], JSON.stringify(lines))
      after = lines[lines.length - 1]?.seq ?? after
    }
    this.sql.exec('drop table logs')
  }
}
