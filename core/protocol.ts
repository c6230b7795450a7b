import * as z from 'zod'
import { DEPLOY_STEPS, DESTROY_STEPS, PROTOCOL_VERSION } from './protocol-constants'
import { ProxmoxConnection } from './settings'

/**
 * The wire protocol between the worker, the runner and the dashboard.
 *
 * Two runner sockets:
 * - the control socket `GET /api/runner/connect` → `RunnerHub` DO: hello, job assignment, cancel,
 *   "test connection" requests;
 * - one job socket per running job `GET /api/runner/jobs/:jobId/connect` → that deployment's
 *   `DeploymentDO`: step events, log batches and their acks, so log data takes one hop.
 * Both authenticate with `Authorization: Bearer <runner key>`.
 *
 * Heartbeats are the literal text frames `ping` → `pong`, answered by the Durable Object's
 * auto-response without waking it (hibernation), so they are not JSON frames.
 *
 * Every JSON frame is `{ v, type, … }`, parsed once at each edge with these unions.
 */

export {
  CLOSE,
  DEPLOY_STEPS,
  DESTROY_STEPS,
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_PING,
  HEARTBEAT_PONG,
  OFFLINE_AFTER_MS,
  PROTOCOL_VERSION,
} from './protocol-constants'

const v = z.literal(PROTOCOL_VERSION)

export const StepName = z.enum([...DEPLOY_STEPS, ...DESTROY_STEPS])
export type StepName = z.infer<typeof StepName>

/**
 * What a job does. `deploy` and `destroy` bracket a deployment's life; the power actions reuse
 * the same steps: `stop_vm` of a stop or restart is graceful (the guest's shutdown stops the
 * game's service, which saves the world; a forced stop after a timeout), of a destroy it is not.
 */
export const JobKind = z.enum(['deploy', 'destroy', 'start', 'stop', 'restart'])
export type JobKind = z.infer<typeof JobKind>

/** The power actions an admin can ask for on a deployed game. */
export const PowerAction = z.enum(['start', 'stop', 'restart'])
export type PowerAction = z.infer<typeof PowerAction>

const JOB_STEPS: Record<JobKind, readonly StepName[]> = {
  deploy: DEPLOY_STEPS,
  destroy: DESTROY_STEPS,
  start: ['start', 'wait_ssh', 'verify'],
  stop: ['stop_vm'],
  restart: ['stop_vm', 'start', 'wait_ssh', 'verify'],
}

/** The steps a job of this kind runs, in order. */
export function stepsOf(kind: JobKind): readonly StepName[] {
  return JOB_STEPS[kind]
}

/** An SSH host key as `known_hosts` holds it: `<type> <base64>`, e.g. `ssh-ed25519 AAAA…`. */
export const SshHostKey = z
  .string()
  .max(8_192)
  .regex(/^[a-z0-9][a-z0-9@.-]{2,63} [A-Za-z0-9+/]{20,}={0,3}$/, 'not an SSH host key')

/**
 * What survives a runner restart: written by the DO when a step ends, sent back to whichever
 * runner resumes the job, so no step that creates something runs twice.
 */
export const Checkpoint = z.object({
  vmid: z.number().int().positive().optional(),
  ip: z.string().optional(),
  /**
   * The VM's SSH host key, pinned when the deploy's wait_ssh first reached it and kept for the
   * deployment's life (until a destroy): every later SSH contact must present this key.
   */
  hostKey: SshHostKey.optional(),
  /** Proxmox task ids by step, for the record and for resuming a wait. */
  upids: z.record(z.string(), z.string()).default({}),
  /** Steps already done for this job: the runner skips them. */
  doneSteps: z.array(StepName).default([]),
  /** The game release provisioning installed (`latest` resolved), for verify and later checks. */
  gameVersion: z.string().min(1).max(64).optional(),
})
export type Checkpoint = z.infer<typeof Checkpoint>

/** The deployment as the runner needs it: sizing, address and the game's validated config. */
export const DeploymentSpec = z.object({
  deploymentId: z.string().min(1).max(64),
  name: z.string().min(1).max(63),
  game: z.string().min(1).max(32),
  /** Already validated by the game module's schema on the worker. */
  gameConfig: z.record(z.string(), z.unknown()),
  cores: z.number().int().min(1).max(128),
  memoryMiB: z.number().int().min(512).max(1_048_576),
  diskGiB: z.number().int().min(4).max(65_536),
  /** Static IPv4 address of the VM (the prefix comes from the pool CIDR). */
  ipAddress: z.string(),
  /** Extra public keys the admin wants on the VM, besides the runner's own. */
  sshPublicKeys: z.array(z.string()).default([]),
})
export type DeploymentSpec = z.infer<typeof DeploymentSpec>

export const JobAssignment = z.object({
  jobId: z.string().min(1),
  deploymentId: z.string().min(1),
  kind: JobKind,
  attempt: z.number().int().min(1),
  /** Epoch ms; the runner's job socket activity keeps it alive. */
  leaseExpiresAt: z.number(),
  spec: DeploymentSpec,
  proxmox: ProxmoxConnection,
  /** Strings to redact from every log line, besides the ones in `proxmox`. */
  secrets: z.array(z.string()).default([]),
  /**
   * The game's generated secrets by name (e.g. the RCON password), minted once per deployment
   * by the worker and kept for retries. Redacted from every log line too.
   */
  gameSecrets: z.record(z.string(), z.string()).default({}),
})
export type JobAssignment = z.infer<typeof JobAssignment>

// ---------------------------------------------------------------- live status and the sweep

/** What the game answered to the runner's health check (the verify step's check, repeated). */
export const GameProbe = z.discriminatedUnion('online', [
  z.object({
    online: z.literal(true),
    latencyMs: z.number().min(0),
    version: z.string().max(256).optional(),
    motd: z.string().max(1024).optional(),
    players: z.object({ online: z.number().int(), max: z.number().int() }).optional(),
  }),
  z.object({ online: z.literal(false), error: z.string().max(1024) }),
])
export type GameProbe = z.infer<typeof GameProbe>

/** A VM's power state as Proxmox reports it; `missing`: no such VM any more. */
export const VmPower = z.enum(['running', 'stopped', 'paused', 'missing', 'unknown'])
export type VmPower = z.infer<typeof VmPower>

/**
 * The live status of a deployed game, refreshed by a runner on an interval while the deployment
 * is `ready` or `stopped` and pushed to the dashboard. `game` is null when the VM is not running
 * (nothing to ask); `error` says why the power state is `unknown` (Proxmox unreachable…).
 */
export const LiveStatus = z.object({
  checkedAt: z.number(),
  power: VmPower,
  game: GameProbe.nullable(),
  error: z.string().max(1024).optional(),
})
export type LiveStatus = z.infer<typeof LiveStatus>

/** A deployment a runner keeps an eye on. */
export const WatchTarget = z.object({
  deploymentId: z.string().min(1).max(64),
  vmid: z.number().int().positive(),
  ipAddress: z.string(),
  game: z.string(),
  gameConfig: z.record(z.string(), z.unknown()),
})
export type WatchTarget = z.infer<typeof WatchTarget>

/** A VM on the node that carries this product's tag (or its name pattern), as a sweep saw it. */
export const ProductVm = z.object({
  vmid: z.number().int().positive(),
  name: z.string().max(128).nullable(),
  status: z.string().max(32),
  /** From its `pgd-<id>` tag or its `gs-…-<id>` name; null when neither names one. */
  deploymentId: z.string().max(64).nullable(),
})
export type ProductVm = z.infer<typeof ProductVm>

export const ConnectionCheck = z.object({
  name: z.string(),
  ok: z.boolean(),
  message: z.string(),
  fix: z.string().optional(),
  /** Shell commands that apply the fix (e.g. the `pveum` lines that grant a missing privilege). */
  commands: z.array(z.string().max(1_000)).max(20).optional(),
})
export type ConnectionCheck = z.infer<typeof ConnectionCheck>

// ---------------------------------------------------------------- control socket

export const RunnerToServer = z.discriminatedUnion('type', [
  z.object({
    v,
    type: z.literal('hello'),
    version: z.string().max(64),
    sshPublicKey: z.string().max(4096),
    maxJobs: z.number().int().min(1).max(64),
    /** Jobs this process is running right now (empty after a restart). */
    activeJobs: z.array(z.string()).max(64),
  }),
  z.object({
    v,
    type: z.literal('test.result'),
    requestId: z.string(),
    checks: z.array(ConnectionCheck),
  }),
  /** One refresh round of the watched deployments. */
  z.object({
    v,
    type: z.literal('status.report'),
    statuses: z
      .array(z.object({ deploymentId: z.string().min(1).max(64), status: LiveStatus }))
      .max(1_000),
  }),
  /** Every VM of this product on the node, for the hub to find the orphans. */
  z.object({
    v,
    type: z.literal('sweep.report'),
    at: z.number(),
    vms: z.array(ProductVm).max(10_000),
  }),
  z.object({
    v,
    type: z.literal('vm.destroy.result'),
    requestId: z.string(),
    ok: z.boolean(),
    message: z.string().max(4096),
  }),
])
export type RunnerToServer = z.infer<typeof RunnerToServer>

export const ServerToRunner = z.discriminatedUnion('type', [
  z.object({
    v,
    type: z.literal('welcome'),
    runnerId: z.string(),
    heartbeatIntervalMs: z.number().int().positive(),
  }),
  z.object({ v, type: z.literal('job.assign'), job: JobAssignment }),
  z.object({ v, type: z.literal('job.cancel'), jobId: z.string() }),
  z.object({
    v,
    type: z.literal('test.request'),
    requestId: z.string(),
    proxmox: ProxmoxConnection,
  }),
  /**
   * The deployments this runner keeps an eye on (the whole list, replacing the previous one),
   * how often, and how often it sweeps the node for this product's VMs (0: it does not). The
   * Proxmox connection comes only with work that needs it: a runner given nothing to watch and
   * no sweep gets `null` and drops the one it held.
   */
  z
    .object({
      v,
      type: z.literal('watch'),
      proxmox: ProxmoxConnection.nullable(),
      statusIntervalMs: z.number().int().min(100),
      sweepIntervalMs: z.number().int().min(0),
      targets: z.array(WatchTarget).max(1_000),
    })
    .refine((f) => f.proxmox !== null || (f.targets.length === 0 && f.sweepIntervalMs === 0), {
      message: 'a watch list or a sweep comes with the Proxmox connection',
      path: ['proxmox'],
    }),
  /** Destroy a VM no deployment owns (an orphan the sweep reported). */
  z.object({
    v,
    type: z.literal('vm.destroy'),
    requestId: z.string(),
    proxmox: ProxmoxConnection,
    vmid: z.number().int().positive(),
    /** The deployment its tag names (the runner refuses a VM that carries another), or null. */
    deploymentId: z.string().max(64).nullable(),
  }),
])
export type ServerToRunner = z.infer<typeof ServerToRunner>

// ---------------------------------------------------------------- job socket

export const LogStream = z.enum(['stdout', 'stderr', 'info'])
export type LogStream = z.infer<typeof LogStream>

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

export const StepStatus = z.enum(['pending', 'running', 'done', 'failed', 'cancelled', 'skipped'])
export type StepStatus = z.infer<typeof StepStatus>

export const StepError = z.object({
  message: z.string().max(4096),
  /** e.g. Proxmox's own text, or the failing Ansible task. */
  detail: z.string().max(16_384).optional(),
})
export type StepError = z.infer<typeof StepError>

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

// ---------------------------------------------------------------- dashboard socket

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
    status: z.string(),
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
