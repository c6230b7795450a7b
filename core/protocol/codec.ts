import type * as z from 'zod'
import { PROTOCOL_VERSION } from './constants'
import type { ServerToDashboard } from './dashboard'
import type { RunnerToServer, ServerToRunner } from './runner-control'
import type { DeploymentToRunner, RunnerToDeployment } from './runner-job'
import type { ServerLogFrame } from './server-log'

/**
 * Frames on the wire. Every JSON frame is `{ v, type, … }`: a sender writes it with the encoder of
 * its direction, which adds the version, and a receiver parses it once, at its edge, with the
 * direction's schema. This module loads no zod (the schemas are type imports), so the runner's
 * idle path can encode without loading them.
 */

/** A frame as its sender writes it: every field but the version, which the encoder adds. */
export type FrameBody<F> = F extends unknown ? Omit<F, 'v'> : never

/** JSON of one frame of `F`, version first. */
function encoder<F extends { v: number }>(): (body: FrameBody<F>) => string {
  return (body) => JSON.stringify({ v: PROTOCOL_VERSION, ...body })
}

/** Runner → hub, on the control socket. */
export const encodeRunnerToHub = encoder<RunnerToServer>()
/** Hub → runner, on the control socket. */
export const encodeHubToRunner = encoder<ServerToRunner>()
/** Runner → deployment, on a job socket. */
export const encodeRunnerToDeployment = encoder<RunnerToDeployment>()
/** Deployment → runner, on a job socket. */
export const encodeDeploymentToRunner = encoder<DeploymentToRunner>()
/** Deployment → dashboard. */
export const encodeToDashboard = encoder<ServerToDashboard>()
/** Hub → dashboard, on a server log socket. */
export const encodeServerLog = encoder<ServerLogFrame>()

/**
 * A dashboard `logs` frame around lines already serialised as a JSON array (as they come out of
 * storage): the lines are not parsed and written again, the busiest frame's cost on the server.
 */
export function encodeDashboardLogs(linesJson: string): string {
  return `{"v":${PROTOCOL_VERSION},"type":"logs","lines":${linesJson}}`
}

/** Parse a text frame with a schema; never throws. */
export function parseFrame<T extends z.ZodType>(
  schema: T,
  data: unknown,
): { ok: true; frame: z.infer<T> } | { ok: false; error: string } {
  if (typeof data !== 'string') return { ok: false, error: 'binary frames are not accepted' }
  let json: unknown
  try {
    json = JSON.parse(data)
  } catch {
    return { ok: false, error: 'frame is not valid JSON' }
  }
  const parsed = schema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    return {
      ok: false,
      error: `invalid frame: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unknown'}`,
    }
  }
  return { ok: true, frame: parsed.data }
}
