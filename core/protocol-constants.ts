/**
 * The protocol's plain constants, in a module without zod: the runner's idle path (control socket,
 * heartbeats, welcome) imports these and nothing else of the protocol, so an idle runner does not
 * load zod (issue 7, runner memory). `protocol.ts` re-exports them; everything else imports them
 * from there.
 */

export const PROTOCOL_VERSION = 1
export const HEARTBEAT_PING = 'ping'
export const HEARTBEAT_PONG = 'pong'
/** The runner pings this often; silent for three intervals = offline. */
export const HEARTBEAT_INTERVAL_MS = 10_000
export const OFFLINE_AFTER_MS = 3 * HEARTBEAT_INTERVAL_MS

/** The steps of a deployment, in the order the runner runs them and the timeline shows them. */
export const DEPLOY_STEPS = [
  'allocate',
  'clone',
  'configure',
  'resize',
  'start',
  'wait_ssh',
  'provision',
  'verify',
] as const
/** The steps of a destroy job. */
export const DESTROY_STEPS = ['stop_vm', 'delete_vm'] as const

/** WebSocket close codes used on runner sockets. */
export const CLOSE = {
  /** A frame failed to parse: policy violation. */
  BAD_FRAME: 1008,
  /** The runner was revoked or its key is wrong: do not reconnect. */
  REVOKED: 4401,
  /** Another connection of the same runner replaced this one. */
  REPLACED: 4409,
  /** The job is no longer leased to this runner (finished, cancelled, taken over). */
  JOB_GONE: 4410,
} as const
