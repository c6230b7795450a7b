import * as z from 'zod'
import { PROTOCOL_VERSION } from './constants'

/**
 * The server log socket, `GET /api/deployments/:id/server-log` → the `RunnerHub` DO → dashboard:
 * the game's journal lines as a runner reads them over SSH, then one `end` when the stream stops
 * (the runner's SSH session ended, or it could not start). The dashboard only listens.
 */

const v = z.literal(PROTOCOL_VERSION)

/** Why a server log stream ended early; the dashboard words each in every language. */
export const ServerLogEndCode = z.enum(['no_runner', 'runner_gone', 'ssh_failed', 'closed'])
export type ServerLogEndCode = z.infer<typeof ServerLogEndCode>

export const ServerLogFrame = z.discriminatedUnion('type', [
  z.object({ v, type: z.literal('lines'), lines: z.array(z.string()) }),
  z.object({
    v,
    type: z.literal('end'),
    code: ServerLogEndCode,
    message: z.string().max(1024),
  }),
])
export type ServerLogFrame = z.infer<typeof ServerLogFrame>
