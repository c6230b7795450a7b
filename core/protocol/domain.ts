import * as z from 'zod'
import { ProxmoxConnection } from '../settings'
import { Retention } from '../schedules'
import { BakeRequest } from '../bake'
import { TemplateRequest } from '../template'
import {
  BACKUP_STEPS,
  BAKE_STEPS,
  CHANGE_STEPS,
  DEPLOY_STEPS,
  DESTROY_STEPS,
  RESTORE_STEPS,
  ROLLBACK_STEPS,
  TEMPLATE_STEPS,
} from './constants'

/**
 * The protocol's nouns, shared by every socket: steps and job kinds, the deployment spec and the
 * job a runner is handed, the checkpoint that survives a runner restart, the live status.
 */

export const StepName = z.enum([
  ...DEPLOY_STEPS,
  ...DESTROY_STEPS,
  ...TEMPLATE_STEPS,
  'bake_layer',
  'seal_template',
  ...BACKUP_STEPS,
  'safety_backup',
  'restore_vm',
  'warn_players',
  'snapshot',
  'change_vm',
  'prune_snapshots',
  'rollback',
])
export type StepName = z.infer<typeof StepName>

/**
 * What a job does. `deploy` and `destroy` bracket a deployment's life; the power actions reuse
 * the same steps: `stop_vm` of a stop or restart is graceful (the guest's shutdown stops the
 * game's service, which saves the world; a forced stop after a timeout), of a destroy it is not.
 * `template` builds the cloud-init template deployments clone, in a deployment record of its own
 * that the game list hides (core/template.ts); `bake` makes a game-ready template from it, in a
 * record of its own too (core/bake.ts). `backup` archives a ready or stopped deployment's
 * VM and leaves it as it found it; `restore` puts one of its backups back over the VM.
 */
export const JobKind = z.enum([
  'deploy',
  'destroy',
  'start',
  'stop',
  'restart',
  'template',
  'bake',
  'backup',
  'restore',
  'change',
  'rollback',
])
export type JobKind = z.infer<typeof JobKind>

/** The power actions an admin can ask for on a deployed game. */
export const PowerAction = z.enum(['start', 'stop', 'restart'])
export type PowerAction = z.infer<typeof PowerAction>

const JOB_STEPS: Record<JobKind, readonly StepName[]> = {
  deploy: DEPLOY_STEPS,
  destroy: DESTROY_STEPS,
  start: ['start', 'wait_ssh', 'verify'],
  stop: ['warn_players', 'stop_vm'],
  restart: ['warn_players', 'stop_vm', 'start', 'wait_ssh', 'verify'],
  template: TEMPLATE_STEPS,
  bake: BAKE_STEPS,
  backup: BACKUP_STEPS,
  restore: RESTORE_STEPS,
  change: CHANGE_STEPS,
  rollback: ROLLBACK_STEPS,
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
  /**
   * The game-ready template the deploy's clone step cloned (core/bake.ts), by name: provision
   * skips the base layer when it is current and of the resolved Java family.
   */
  bakedFrom: z.string().max(64).optional(),
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
  /** Only for a template job: which Debian image to build the template from. */
  template: TemplateRequest.optional(),
  /** Only for a bake job: which game and Java family the template is baked for. */
  bake: BakeRequest.extend({ layer: z.string().regex(/^[0-9a-f]{10}$/) }).optional(),
  /**
   * A deployment made from a backup of another (or of a destroyed one): its VM is restored from
   * this archive instead of cloned from the template.
   */
  restoreFrom: z
    .object({ volid: z.string().min(1).max(512), deploymentId: z.string().min(1).max(64) })
    .optional(),
})
export type DeploymentSpec = z.infer<typeof DeploymentSpec>

/** What a restore job restores. */
export const RestoreParams = z.object({
  volid: z.string().min(1).max(512),
  skipSafety: z.boolean().default(false),
})
export type RestoreParams = z.infer<typeof RestoreParams>

/**
 * What a backup job makes: a manual backup, or a scheduled one whose schedule's retention then
 * removes the scheduled backups it no longer keeps (in the admin's time zone: days and weeks).
 */
export const BackupParams = z.object({
  kind: z.enum(['manual', 'scheduled']),
  keep: Retention.optional(),
  timeZone: z.string().max(64).optional(),
})
export type BackupParams = z.infer<typeof BackupParams>

/**
 * A scheduled stop or restart warns the players in the game first (games with a console): each
 * message `beforeMs` before the VM stops. A stop or restart asked from the dashboard has none.
 */
export const PowerParams = z.object({
  warnings: z
    .array(z.object({ beforeMs: z.number().int().min(0), text: z.string().min(1).max(100) }))
    .max(10),
})
export type PowerParams = z.infer<typeof PowerParams>

/** What a destroy does besides the VM: delete the deployment's backups too (protected ones stay). */
export const DestroyParams = z.object({ deleteBackups: z.boolean() })
export type DestroyParams = z.infer<typeof DestroyParams>

/** A player name a change may put in a console command (the game checks it again). */
const PLAYER_NAME = /^[A-Za-z0-9_]{1,32}$/

/**
 * What a change or its rollback works with: the snapshot taken before it (a PVE `pve-configid`,
 * core/change-plan.ts names it), and how many of the product's snapshots the VM keeps.
 */
export const ChangeParams = z.object({
  snapshot: z
    .string()
    .max(40)
    .regex(/^[a-z][a-z0-9_-]+$/i),
  keepSnapshots: z.number().int().min(1).max(50),
  /** What changes, one line each, for the snapshot's description and the log. */
  summary: z.array(z.string().max(300)).max(50).default([]),
  /**
   * Set when the change moves only the player lists of a game whose console is on: the playbook
   * writes them without restarting, then the runner applies them through the console (reload the
   * whitelist; `op` the operators added, `deop` the ones removed), or restarts if it cannot.
   */
  players: z
    .object({
      op: z.array(z.string().regex(PLAYER_NAME)).max(100),
      deop: z.array(z.string().regex(PLAYER_NAME)).max(100),
    })
    .optional(),
})
export type ChangeParams = z.infer<typeof ChangeParams>

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
  /** For a restore: the archive, and whether a first attempt already made the safety backup. */
  restore: RestoreParams.optional(),
  /** For a backup: its kind and retention (none: a manual backup). */
  backup: BackupParams.optional(),
  /** For a scheduled stop or restart: the warnings to the players. */
  power: PowerParams.optional(),
  /** For a destroy: whether the backups go too (none: they are kept). */
  destroy: DestroyParams.optional(),
  /** For a change or a rollback: its snapshot. */
  change: ChangeParams.optional(),
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
  /**
   * The newest release of the deployment's channel (`latest` only; a pinned version has none),
   * as the runner's version resolver sees it; the dashboard offers an update when it is newer
   * than the installed one.
   */
  latestVersion: z.string().min(1).max(64).optional(),
})
export type LiveStatus = z.infer<typeof LiveStatus>

// ---------------------------------------------------------------- steps and logs

export const LogStream = z.enum(['stdout', 'stderr', 'info'])
export type LogStream = z.infer<typeof LogStream>

export const StepStatus = z.enum(['pending', 'running', 'done', 'failed', 'cancelled', 'skipped'])
export type StepStatus = z.infer<typeof StepStatus>

export const StepError = z.object({
  message: z.string().max(4096),
  /** e.g. Proxmox's own text, or the failing Ansible task. */
  detail: z.string().max(16_384).optional(),
})
export type StepError = z.infer<typeof StepError>
