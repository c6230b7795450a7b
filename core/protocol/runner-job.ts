import * as z from 'zod'
import { PROTOCOL_VERSION } from './constants'
import { Checkpoint, LogStream, StepError, StepName } from './domain'

/**
 * A job socket, one per running job, `GET /api/runner/deployments/:deploymentId/jobs/:jobId/connect` → that deployment's
 * `DeploymentDO`: step events, log batches and their acks, so log data takes one hop. It
 * authenticates like the control socket, with the runner key.
 */

const v = z.literal(PROTOCOL_VERSION)

/** One log line. `seq` is per job, strictly increasing from 1, never reused. */
export const LogLine = z.object({
  seq: z.number().int().positive(),
  /** Epoch ms when the runner saw the line. */
  ts: z.number(),
  step: StepName.optional(),
  stream: LogStream,
  text: z.string().max(16_384),
})
export type LogLine = z.infer<typeof LogLine>

export const RunnerToDeployment = z.discriminatedUnion('type', [
  z.object({ v, type: z.literal('job.hello'), jobId: z.string(), attempt: z.number().int() }),
  z.object({
    v,
    type: z.literal('step'),
    jobId: z.string(),
    step: StepName,
    status: z.enum(['running', 'done', 'failed']),
    at: z.number(),
    /** Set with `done`: what the step created or learned. */
    checkpoint: Checkpoint.pick({ vmid: true, ip: true, gameVersion: true, hostKey: true })
      .extend({ upid: z.string().optional() })
      .optional(),
    error: StepError.optional(),
    /**
     * With `done`: the step the runner started right after it, reported in the same frame (as a
     * `running` frame for it would be), so a step boundary costs the server one write, not two.
     */
    next: StepName.optional(),
  }),
  z.object({
    v,
    type: z.literal('logs'),
    jobId: z.string(),
    lines: z.array(LogLine).min(1).max(5_000),
  }),
  z.object({
    v,
    type: z.literal('job.done'),
    jobId: z.string(),
    outcome: z.enum(['succeeded', 'failed', 'cancelled']),
    /** For a deploy: what the verify step saw (version, motd, players…). */
    result: z.record(z.string(), z.unknown()).optional(),
    error: StepError.extend({ step: StepName.optional() }).optional(),
  }),
])
export type RunnerToDeployment = z.infer<typeof RunnerToDeployment>

export const DeploymentToRunner = z.discriminatedUnion('type', [
  z.object({
    v,
    type: z.literal('job.welcome'),
    jobId: z.string(),
    /** Highest log seq persisted; the runner resends everything after it. */
    ackedSeq: z.number().int().min(0),
    checkpoint: Checkpoint,
    cancelRequested: z.boolean(),
  }),
  z.object({ v, type: z.literal('logs.ack'), jobId: z.string(), seq: z.number().int().min(0) }),
  z.object({ v, type: z.literal('job.cancel'), jobId: z.string() }),
])
export type DeploymentToRunner = z.infer<typeof DeploymentToRunner>
