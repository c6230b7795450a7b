import * as z from 'zod'
import type { JobKind, PowerAction, StepName } from '../protocol/domain'

/**
 * The deployment state machine, as one pure table, so every transition is decided and tested in
 * one place (test/core/deployment-state.test.ts). The DeploymentDO persists the state and
 * performs the effects; nothing else decides a transition.
 */

export const DeploymentStatus = z.enum([
  'queued',
  'provisioning_vm',
  'waiting_ssh',
  'provisioning_game',
  'verifying',
  'ready',
  'failed',
  'cancelling',
  'cancelled',
  'stopping',
  'stopped',
  'starting',
  'restarting',
  'destroying',
  'destroyed',
  'backing_up',
  'restoring',
  'changing',
  'rolling_back',
])
export type DeploymentStatus = z.infer<typeof DeploymentStatus>

/** The statuses in which a deploy job is on its way (queued or running). */
export const IN_PROGRESS: readonly DeploymentStatus[] = [
  'queued',
  'provisioning_vm',
  'waiting_ssh',
  'provisioning_game',
  'verifying',
]

/** The statuses in which a power job (start, stop, restart) is on its way. */
export const POWERING: readonly DeploymentStatus[] = ['stopping', 'starting', 'restarting']

/** Statuses that end a deployment's activity until the admin acts again. */
export const SETTLED: readonly DeploymentStatus[] = [
  'ready',
  'stopped',
  'failed',
  'cancelled',
  'destroyed',
]

/** The statuses a backup starts from, and returns to whatever its outcome. */
export const BACKUP_FROM: readonly DeploymentStatus[] = ['ready', 'stopped']

/** Statuses in which the VM is there and a runner keeps an eye on it (live status). */
export const WATCHED: readonly DeploymentStatus[] = ['ready', 'stopped']

/** Which power action is allowed from which status, and the status it leads to. */
const POWER: Record<PowerAction, { from: DeploymentStatus; to: DeploymentStatus }> = {
  start: { from: 'stopped', to: 'starting' },
  stop: { from: 'ready', to: 'stopping' },
  restart: { from: 'ready', to: 'restarting' },
}

export type DeploymentEvent =
  /** A deploy step started on the runner. */
  | { type: 'step_started'; step: StepName }
  /** The deploy job finished and the game answered. */
  | { type: 'deploy_succeeded' }
  /** A job (deploy or destroy) failed. */
  | { type: 'job_failed' }
  /** The admin asked to cancel. `leased`: a runner holds the job and must stop it first. */
  | { type: 'cancel_requested'; leased: boolean }
  /** The runner stopped the job after a cancel (or its lease ran out while cancelling). */
  | { type: 'job_cancelled' }
  /** The admin asked to run the failed job (`kind`) again; a deploy resumes at its failed step. */
  | { type: 'retry_requested'; kind: JobKind }
  /** The admin asked to destroy the VM. */
  | { type: 'destroy_requested' }
  /** The destroy job removed the VM (or found none). */
  | { type: 'destroy_succeeded' }
  /** The admin asked to start, stop or restart the deployed game's VM. */
  | { type: 'power_requested'; action: PowerAction }
  /** The power job finished (and, for start and restart, the game answered). */
  | { type: 'power_succeeded' }
  /** The admin asked for a backup of a ready or stopped deployment. */
  | { type: 'backup_requested' }
  /** The backup job ended (either way): back to the status it started from. */
  | { type: 'backup_finished'; to: DeploymentStatus }
  /** The admin asked to put a backup back over the VM. */
  | { type: 'restore_requested' }
  /** The restore job ended with the game answering. */
  | { type: 'restore_succeeded' }
  /** The admin asked to change a ready deployment (settings, size, version). */
  | { type: 'change_requested' }
  /** The change ended with the new settings answering, or before it changed anything. */
  | { type: 'change_finished' }
  /** The change failed or was cancelled after its snapshot: back to it. */
  | { type: 'rollback_started' }
  /** The rollback ended with the old settings answering. */
  | { type: 'rollback_succeeded' }

/** Which status a running step puts the deployment in. */
export function statusOfStep(step: StepName): DeploymentStatus | null {
  switch (step) {
    case 'allocate':
    case 'clone':
    case 'configure':
    case 'resize':
    case 'start':
      return 'provisioning_vm'
    case 'wait_ssh':
      return 'waiting_ssh'
    case 'provision':
      return 'provisioning_game'
    case 'verify':
      return 'verifying'
    case 'stop_vm':
    case 'delete_vm':
    case 'warn_players':
      return null
    // A template job is built like a deployment's VM, and ends `ready` the same way.
    case 'image_checksum':
    case 'download_image':
    case 'create_vm':
    case 'make_template':
    case 'seal_template':
      return 'provisioning_vm'
    case 'bake_layer':
      return 'provisioning_game'
    // A backup keeps its own status through its steps.
    case 'save_world':
    case 'vzdump':
    case 'resume_world':
    case 'prune_backups':
    case 'safety_backup':
    case 'restore_vm':
      return null
    // A change and its rollback keep their own status through their steps.
    case 'snapshot':
    case 'change_vm':
    case 'prune_snapshots':
    case 'rollback':
      return null
  }
}

/** The status a retried job of each kind puts a failed deployment in. */
const RETRY_STATUS: Record<JobKind, DeploymentStatus> = {
  deploy: 'queued',
  destroy: 'destroying',
  start: 'starting',
  stop: 'stopping',
  restart: 'restarting',
  template: 'queued',
  bake: 'queued',
  // A failed backup leaves the deployment as it was: nothing to retry from `failed`.
  backup: 'backing_up',
  restore: 'restoring',
  // A failed change rolls back by itself; a failed rollback is tried again.
  change: 'changing',
  rollback: 'rolling_back',
}

/**
 * The table: `{ from, event, to }` rows. `to` may depend on the event's data (a cancel of a job
 * no runner holds ends at once; one held by a runner waits for it to stop).
 */
const TABLE: readonly {
  from: readonly DeploymentStatus[]
  event: DeploymentEvent['type']
  to: (event: DeploymentEvent, from: DeploymentStatus) => DeploymentStatus | null
}[] = [
  // Deploy steps move the deployment forward (a resumed job may repeat a step: same status).
  {
    from: IN_PROGRESS,
    event: 'step_started',
    to: (e, from) => (e.type === 'step_started' ? (statusOfStep(e.step) ?? from) : null),
  },
  // Power jobs keep their status through their steps.
  {
    from: POWERING,
    event: 'step_started',
    to: (_e, from) => from,
  },
  // Destroy steps keep it in `destroying`.
  {
    from: ['destroying'],
    event: 'step_started',
    to: (e) => (e.type === 'step_started' && statusOfStep(e.step) === null ? 'destroying' : null),
  },
  { from: IN_PROGRESS, event: 'deploy_succeeded', to: () => 'ready' },
  // A failure of any job: the admin chooses retry or destroy.
  {
    from: [...IN_PROGRESS, ...POWERING, 'destroying', 'restoring'],
    event: 'job_failed',
    to: () => 'failed',
  },
  {
    from: IN_PROGRESS,
    event: 'cancel_requested',
    to: (e) => (e.type === 'cancel_requested' && e.leased ? 'cancelling' : 'cancelled'),
  },
  { from: ['cancelling'], event: 'job_cancelled', to: () => 'cancelled' },
  // A cancel that arrives as the job ends: the end wins, nothing to stop any more.
  { from: ['cancelling'], event: 'deploy_succeeded', to: () => 'ready' },
  { from: ['cancelling'], event: 'job_failed', to: () => 'failed' },
  {
    from: ['failed'],
    event: 'retry_requested',
    to: (e) => (e.type === 'retry_requested' ? RETRY_STATUS[e.kind] : null),
  },
  {
    from: ['ready', 'stopped', 'failed', 'cancelled'],
    event: 'destroy_requested',
    to: () => 'destroying',
  },
  { from: ['destroying'], event: 'destroy_succeeded', to: () => 'destroyed' },
  {
    from: ['ready', 'stopped'],
    event: 'power_requested',
    to: (e, from) =>
      e.type === 'power_requested' && POWER[e.action].from === from ? POWER[e.action].to : null,
  },
  { from: ['stopping'], event: 'power_succeeded', to: () => 'stopped' },
  { from: BACKUP_FROM, event: 'backup_requested', to: () => 'backing_up' },
  // A restore also repairs a failed deployment (a failed restore, or a failed change).
  { from: [...BACKUP_FROM, 'failed'], event: 'restore_requested', to: () => 'restoring' },
  // A restore keeps its status through its steps (the VM's own ones included).
  { from: ['restoring'], event: 'step_started', to: () => 'restoring' },
  { from: ['restoring'], event: 'restore_succeeded', to: () => 'ready' },
  {
    from: ['backing_up'],
    event: 'step_started',
    to: (e) => (e.type === 'step_started' && statusOfStep(e.step) === null ? 'backing_up' : null),
  },
  {
    from: ['backing_up'],
    event: 'backup_finished',
    to: (e) => (e.type === 'backup_finished' && BACKUP_FROM.includes(e.to) ? e.to : null),
  },
  { from: ['starting', 'restarting'], event: 'power_succeeded', to: () => 'ready' },
  // A change: only from ready (its verify needs the game running), never left half-done.
  { from: ['ready'], event: 'change_requested', to: () => 'changing' },
  { from: ['changing', 'rolling_back'], event: 'step_started', to: (_e, from) => from },
  { from: ['changing'], event: 'change_finished', to: () => 'ready' },
  { from: ['changing'], event: 'rollback_started', to: () => 'rolling_back' },
  { from: ['rolling_back'], event: 'rollback_succeeded', to: () => 'ready' },
  // A rollback that fails leaves the deployment failed: retry rolls back again.
  { from: ['rolling_back'], event: 'job_failed', to: () => 'failed' },
]

export type Transition =
  | { ok: true; from: DeploymentStatus; to: DeploymentStatus }
  | { ok: false; from: DeploymentStatus; reason: string }

/** The next status for `event` in `from`, or why the event is refused there. */
export function transition(from: DeploymentStatus, event: DeploymentEvent): Transition {
  for (const row of TABLE) {
    if (row.event !== event.type || !row.from.includes(from)) continue
    const to = row.to(event, from)
    if (to !== null) return { ok: true, from, to }
  }
  return { ok: false, from, reason: `${describeEvent(event)} is not allowed while ${from}` }
}

function describeEvent(event: DeploymentEvent): string {
  switch (event.type) {
    case 'step_started':
      return `starting step ${event.step}`
    case 'deploy_succeeded':
      return 'finishing the deployment'
    case 'job_failed':
      return 'failing the job'
    case 'cancel_requested':
      return 'cancelling'
    case 'job_cancelled':
      return 'ending the cancel'
    case 'retry_requested':
      return 'retrying'
    case 'destroy_requested':
      return 'destroying'
    case 'destroy_succeeded':
      return 'finishing the destroy'
    case 'power_requested':
      return { start: 'starting', stop: 'stopping', restart: 'restarting' }[event.action]
    case 'power_succeeded':
      return 'finishing the power action'
    case 'backup_requested':
      return 'backing up'
    case 'backup_finished':
      return 'finishing the backup'
    case 'restore_requested':
      return 'restoring'
    case 'restore_succeeded':
      return 'finishing the restore'
    case 'change_requested':
      return 'changing'
    case 'change_finished':
      return 'finishing the change'
    case 'rollback_started':
      return 'rolling back'
    case 'rollback_succeeded':
      return 'finishing the rollback'
  }
}

/** Every event type, for exhaustive tests and for the UI's action buttons. */
export const EVENT_TYPES: readonly DeploymentEvent['type'][] = [
  'step_started',
  'deploy_succeeded',
  'job_failed',
  'cancel_requested',
  'job_cancelled',
  'retry_requested',
  'destroy_requested',
  'destroy_succeeded',
  'power_requested',
  'power_succeeded',
  'backup_requested',
  'backup_finished',
  'restore_requested',
  'restore_succeeded',
  'change_requested',
  'change_finished',
  'rollback_started',
  'rollback_succeeded',
]

/** The job kind that finishing successfully means `event` for. */
export function successEvent(kind: JobKind): DeploymentEvent {
  switch (kind) {
    case 'deploy':
    case 'template':
    case 'bake':
      return { type: 'deploy_succeeded' }
    case 'destroy':
      return { type: 'destroy_succeeded' }
    case 'restore':
      return { type: 'restore_succeeded' }
    case 'change':
      return { type: 'change_finished' }
    case 'rollback':
      return { type: 'rollback_succeeded' }
    default:
      return { type: 'power_succeeded' }
  }
}
