import * as z from 'zod'
import { DeploymentStatus } from '../deployment/status'
import { PROTOCOL_VERSION } from './constants'
import { JobKind, LiveStatus, LogStream, StepError, StepName, StepStatus } from './domain'

/**
 * The dashboard's socket, `GET /api/deployments/:id/events?after=N` → that deployment's
 * `DeploymentDO`. It flows one way: the dashboard sends no frames (the `after` query is how it
 * resumes after a reconnect).
 */

const v = z.literal(PROTOCOL_VERSION)

/** One step of the timeline the dashboard shows. */
export const StepView = z.object({
  name: StepName,
  status: StepStatus,
  startedAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  attempt: z.number().int(),
  error: StepError.nullable(),
})
export type StepView = z.infer<typeof StepView>

/** How a deployment's last finished job ended. */
export const LastJob = z.object({
  kind: JobKind,
  outcome: z.enum(['succeeded', 'failed', 'cancelled']),
  endedAt: z.number(),
  /** Why it failed, for a job whose failure leaves the deployment as it was (a backup). */
  error: z.string().max(4096).optional(),
  /** A failed or cancelled change: the deployment went back to its snapshot, as it was. */
  rolledBack: z.boolean().optional(),
})
export type LastJob = z.infer<typeof LastJob>

/** A persisted log line as the dashboard sees it: `seq` is per deployment, gap-free from 1. */
export const DeploymentLogLine = z.object({
  seq: z.number().int().positive(),
  ts: z.number(),
  step: StepName.nullable(),
  stream: LogStream,
  text: z.string(),
})
export type DeploymentLogLine = z.infer<typeof DeploymentLogLine>

/**
 * `GET /api/deployments/:id/events?after=N`: a `state` frame first and on every change, then
 * every log line after N in order, then live.
 */
export const ServerToDashboard = z.discriminatedUnion('type', [
  z.object({
    v,
    type: z.literal('state'),
    status: DeploymentStatus,
    steps: z.array(StepView),
    error: StepError.extend({ step: StepName.optional() }).nullable(),
    result: z.record(z.string(), z.unknown()).nullable(),
    vmid: z.number().nullable(),
    ip: z.string().nullable(),
    lastSeq: z.number().int().min(0),
    /** The last live status (power, game), or null before the first refresh. */
    live: LiveStatus.nullable(),
    /** The kind of the job on its way, if any (the steps are its steps). */
    jobKind: JobKind.nullable().optional(),
    /** How the last finished job ended. */
    lastJob: LastJob.nullable().optional(),
  }),
  z.object({ v, type: z.literal('logs'), lines: z.array(DeploymentLogLine) }),
  /** A new live status: sent on every refresh, without the rest of the state. */
  z.object({ v, type: z.literal('live'), live: LiveStatus }),
])
export type ServerToDashboard = z.infer<typeof ServerToDashboard>
