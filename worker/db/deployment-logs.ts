import { sql } from 'drizzle-orm'
import type { DeploymentLogLine } from '../../core/protocol'
import { orm } from './client'
import { deploymentLogs } from './schema'

/**
 * Copy log lines into D1 in one statement: `linesJson` is a JSON array of lines of one job, and
 * SQLite's `json_each` spreads it into rows, so a batch of hundreds of lines costs one bound
 * parameter and one round trip. Lines at or below `afterSeq` are skipped and a line already
 * copied is ignored, so a batch that was half mirrored before is harmless.
 */
export async function mirrorLogLines(
  db: D1Database,
  deploymentId: string,
  jobId: string,
  linesJson: string,
  afterSeq: number,
): Promise<void> {
  await orm(db).run(sql`insert or ignore into ${deploymentLogs}
      (deployment_id, seq, job_id, ts, step, stream, text)
    select ${deploymentId}, value ->> 'seq', ${jobId}, value ->> 'ts', value ->> 'step',
           value ->> 'stream', value ->> 'text'
    from json_each(${linesJson}) where value ->> 'seq' > ${afterSeq}`)
}

/** Insert one log line, on its own (the one-insert-per-line baseline the bench measures). */
export async function insertLogLine(
  db: D1Database,
  deploymentId: string,
  jobId: string | null,
  line: DeploymentLogLine,
): Promise<void> {
  await orm(db)
    .insert(deploymentLogs)
    .values({ deploymentId, jobId, ...line })
    .onConflictDoNothing()
}
