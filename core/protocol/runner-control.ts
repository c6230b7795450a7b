import * as z from 'zod'
import { BackupEntry, BackupVolid } from '../backups'
import { ProxmoxConnection } from '../settings'
import { SnapshotEntry, SnapshotName } from '../snapshots'
import { PROTOCOL_VERSION } from './constants'
import { JobAssignment, LiveStatus } from './domain'
import { WatchFrame } from './watch'

/**
 * The runner's control socket, `GET /api/runner/connect` → the `RunnerHub` DO: hello, job
 * assignment, cancel, the watch list and its reports, "test connection", capacity and orphan
 * destroy requests. It authenticates with `Authorization: Bearer <runner key>`; heartbeats are the
 * literal text frames of `constants.ts`.
 */

const v = z.literal(PROTOCOL_VERSION)

export { WatchFrame, WatchTarget } from './watch'

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

/**
 * What the node new VMs go on and their storage have free, as Proxmox reports it, in bytes
 * (`GET /nodes/{node}/status` memory, `GET /nodes/{node}/storage/{storage}/status`).
 */
export const NodeCapacity = z.object({
  node: z.string().max(64),
  memory: z.object({ free: z.number().int().min(0), total: z.number().int().min(0) }),
  storage: z.object({
    id: z.string().max(64),
    avail: z.number().int().min(0),
    total: z.number().int().min(0),
  }),
})
export type NodeCapacity = z.infer<typeof NodeCapacity>

/** The game's console on a deployment's VM, and the password that opens it. */
export const ConsoleTarget = z.object({
  host: z.string().min(1).max(64),
  port: z.number().int().min(1).max(65_535),
  password: z.string().min(1).max(256),
})
export type ConsoleTarget = z.infer<typeof ConsoleTarget>

/** Why a console command got no answer, as the runner saw it. */
export const ConsoleFailure = z.object({
  code: z.enum(['unreachable', 'refused', 'no_answer', 'failed']),
  message: z.string().max(1024),
})
export type ConsoleFailure = z.infer<typeof ConsoleFailure>

/** A deployment's VM over SSH, as its deploy pinned it, and the game's unit there. */
export const JournalTarget = z.object({
  host: z.string().min(1).max(64),
  port: z.number().int().min(1).max(65_535),
  user: z.string().min(1).max(64),
  /** The host key wait_ssh pinned (`ssh-ed25519 AAAA…`): the only one accepted. */
  hostKey: z.string().min(1).max(4096),
  unit: z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/),
  lines: z.number().int().min(0).max(10_000),
})
export type JournalTarget = z.infer<typeof JournalTarget>

// ---------------------------------------------------------------- frames

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
  /** The answer to a `capacity.request`: the figures, or why there are none. */
  z.object({
    v,
    type: z.literal('capacity.result'),
    requestId: z.string(),
    capacity: NodeCapacity.nullable(),
    error: z.string().max(1024).optional(),
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
  /** The answer to a `backups.request`: the list (or, for a delete, the list after it), or why not. */
  z.object({
    v,
    type: z.literal('backups.result'),
    requestId: z.string(),
    backups: z.array(BackupEntry).max(10_000).nullable(),
    error: z.string().max(1024).optional(),
  }),
  /** The answer to a `snapshots.request`: the VM's snapshots (after a delete), or why not. */
  z.object({
    v,
    type: z.literal('snapshots.result'),
    requestId: z.string(),
    snapshots: z.array(SnapshotEntry).max(1_000).nullable(),
    error: z.string().max(1024).optional(),
  }),
  /** The answer to a `console.request`: the game's words, or why there are none. */
  z.object({
    v,
    type: z.literal('console.result'),
    requestId: z.string(),
    answer: z.string().max(8_192).nullable(),
    error: ConsoleFailure.optional(),
  }),
  /** Lines of a journal stream the hub opened (`journal.open`). */
  z.object({
    v,
    type: z.literal('journal.lines'),
    streamId: z.string().min(1).max(64),
    lines: z.array(z.string().max(8_192)).max(1_000),
  }),
  /** A journal stream ended on the runner's side (ssh exited), with why when it failed. */
  z.object({
    v,
    type: z.literal('journal.end'),
    streamId: z.string().min(1).max(64),
    error: z.string().max(1024).optional(),
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
  /** Read the node's free memory and the storage's free space (the new-deployment form). */
  z.object({
    v,
    type: z.literal('capacity.request'),
    requestId: z.string(),
    proxmox: ProxmoxConnection,
  }),
  /**
   * A deployment's backups on the backup storage: list them, or delete one (by its volume id;
   * the runner checks it is one of this deployment's first) and list what remains.
   */
  z.object({
    v,
    type: z.literal('backups.request'),
    requestId: z.string(),
    proxmox: ProxmoxConnection,
    deploymentId: z.string().min(1).max(64),
    delete: BackupVolid.optional(),
    /** Protect (Proxmox then refuses to delete it, retention too) or unprotect one. */
    protect: z.object({ volid: BackupVolid, protected: z.boolean() }).optional(),
  }),
  /**
   * A deployment's VM snapshots: list them, or delete one by name first (the runner finds the VM
   * by the deployment's tag, not by an id the hub sends).
   */
  z.object({
    v,
    type: z.literal('snapshots.request'),
    requestId: z.string(),
    proxmox: ProxmoxConnection,
    deploymentId: z.string().min(1).max(64),
    delete: SnapshotName.optional(),
  }),
  /** The deployments this runner keeps an eye on (see watch.ts). */
  WatchFrame,
  /** Send one command to a deployment's game console and return its answer. */
  z.object({
    v,
    type: z.literal('console.request'),
    requestId: z.string(),
    target: ConsoleTarget,
    command: z.string().min(1).max(1_000),
  }),
  /** Follow the game's journal on its VM over SSH (the last `lines` first) until closed. */
  z.object({
    v,
    type: z.literal('journal.open'),
    streamId: z.string().min(1).max(64),
    target: JournalTarget,
  }),
  /** Nobody watches that stream any more: end its SSH session. */
  z.object({ v, type: z.literal('journal.close'), streamId: z.string().min(1).max(64) }),
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
