import type {
  Checkpoint,
  ConnectionCheck,
  JobAssignment,
  LiveStatus,
  LogStream,
  NodeCapacity,
  ProductVm,
  StepName,
  WatchTarget,
} from '../../../core/protocol'
import type { BackupEntry } from '../../../core/backups'
import type { SnapshotEntry } from '../../../core/snapshots'
import type { ArtifactRequest } from '../../../core/games/types'
import type { ProxmoxConnection } from '../../../core/settings'

/**
 * The boundary between the runner's logic (sockets, resume, logs, drain) and the slow outside
 * world (Proxmox, SSH, Ansible, the game). The agent only calls these two functions, so tests run
 * the real agent with fakes: they swap the slow outside world, never the logic under test.
 */

/** What a step gets to do its work. */
export interface StepContext {
  readonly job: JobAssignment
  /** What earlier steps (in this process or a previous one) created: vmid, ip, UPIDs. */
  readonly checkpoint: Readonly<Checkpoint>
  /** The runner's own public key, to put into cloud-init `sshkeys` with the admin's keys. */
  readonly sshPublicKey: string
  /** For ssh / ansible-playbook `--private-key`. */
  readonly sshPrivateKeyPath: string
  /** The runner's state directory, for executor scratch files (inventories, known_hosts). */
  readonly stateDir: string
  /** One or more lines of output; redacted, numbered and streamed by the agent. */
  log(text: string, stream?: LogStream): void
  /** Aborted on cancel, on losing the job, or at the drain deadline: stop promptly and throw. */
  readonly signal: AbortSignal
}

/** What a step created or learned; persisted by the server as the job's checkpoint. */
export interface StepResult {
  vmid?: number
  ip?: string
  upid?: string
  /** From provision: the game release it installed. */
  gameVersion?: string
  /** The VM's SSH host key, when this step pinned it (first contact). */
  hostKey?: string
  /** Only from the last step of a deploy (verify): what the game answered. */
  result?: Record<string, unknown>
}

/** What a connection test gets. */
export interface TestContext {
  log(text: string): void
  readonly signal: AbortSignal
}

/**
 * The executors. Every `runStep` must be idempotent: after a crash the interrupted step runs
 * again (e.g. clone first looks for a VM tagged with the deployment id).
 */
export interface Executors {
  runStep(step: StepName, ctx: StepContext): Promise<StepResult>
  testConnection(proxmox: ProxmoxConnection, ctx: TestContext): Promise<ConnectionCheck[]>
  /** The node's free memory and the storage's free space, for the new-deployment form. */
  capacity(proxmox: ProxmoxConnection, signal: AbortSignal): Promise<NodeCapacity>
  /** The live status of a deployed game: the VM's power state, then the game's own check. */
  inspect(proxmox: ProxmoxConnection, target: WatchTarget, signal: AbortSignal): Promise<LiveStatus>
  /**
   * The newest release of a `latest` channel (the live status's "update available"), or null
   * when this runner cannot tell (no resolver for it). Rejects when the publisher cannot be read.
   */
  latestVersion?(channel: ArtifactRequest, signal: AbortSignal): Promise<string | null>
  /** A deployment's backups on the backup storage (only the ones this product made for it). */
  listBackups(
    proxmox: ProxmoxConnection,
    deploymentId: string,
    signal: AbortSignal,
  ): Promise<BackupEntry[]>
  /** Delete one of a deployment's backups; refused for any other archive or a protected one. */
  deleteBackup(
    proxmox: ProxmoxConnection,
    deploymentId: string,
    volid: string,
    signal: AbortSignal,
  ): Promise<void>
  /** Protect or unprotect one of a deployment's backups (refused for any other archive). */
  protectBackup(
    proxmox: ProxmoxConnection,
    deploymentId: string,
    volid: string,
    protect: boolean,
    signal: AbortSignal,
  ): Promise<void>
  /** A deployment's VM snapshots, newest first. */
  listSnapshots(
    proxmox: ProxmoxConnection,
    deploymentId: string,
    signal: AbortSignal,
  ): Promise<SnapshotEntry[]>
  /** Delete one of a deployment's VM snapshots by name; refused when the VM has none by it. */
  deleteSnapshot(
    proxmox: ProxmoxConnection,
    deploymentId: string,
    name: string,
    signal: AbortSignal,
  ): Promise<void>
  /** Every VM of this product on the node, for the sweep. */
  listProductVms(proxmox: ProxmoxConnection, signal: AbortSignal): Promise<ProductVm[]>
  /**
   * Stop and delete a VM the sweep reported, after checking again that it is one of this
   * product's and still names `deploymentId`. Returns what was done, for the dashboard.
   */
  destroyVm(
    proxmox: ProxmoxConnection,
    vmid: number,
    deploymentId: string | null,
    ctx: TestContext,
  ): Promise<string>
}

/**
 * A failure with a user-facing message and the raw detail (Proxmox's text, Ansible's failing
 * task). Executors may throw any Error; this one lets them set `detail`.
 */
export class StepFailure extends Error {
  override readonly name = 'StepFailure'
  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message)
  }
}
