import type { JobKind } from '../../core/protocol'
import type { AppContext } from '../env'
import { batch } from '../db/client'
import { jobInsert } from '../db/jobs'
import { hubStub } from '../do/stubs'
import { auditEntry } from '../http/audit'

/**
 * Queue a job for the deployment with the audit row of the request that asked for it (one D1
 * round trip), and push it to a runner at once.
 */
export async function enqueue(
  c: AppContext,
  deploymentId: string,
  jobId: string,
  kind: JobKind,
  action: string,
  details?: unknown,
) {
  await batch(c.env.DB, [
    jobInsert(c.env.DB, deploymentId, jobId, kind),
    auditEntry(c, action, { target: deploymentId, details }),
  ])
  c.executionCtx.waitUntil(hubStub(c.env).dispatch())
}
