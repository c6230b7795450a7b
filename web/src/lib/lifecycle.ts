import {
  IN_PROGRESS,
  POWERING,
  transition,
  WATCHED,
  type DeploymentStatus,
} from '../../../core/deployment/status'
import {
  JobKind,
  stepsOf,
  type LiveStatus,
  type PowerAction,
  type StepView,
} from '../../../core/protocol'

/**
 * What the admin may do with a deployment in a status, asked of the state machine itself
 * (core/deployment/status.ts), so the buttons can never offer what the server would refuse.
 */
export interface Allowed {
  start: boolean
  stop: boolean
  restart: boolean
  destroy: boolean
  retry: boolean
  cancel: boolean
  backup: boolean
  restore: boolean
}

export function allowedActions(status: DeploymentStatus, failedKind: JobKind = 'deploy'): Allowed {
  const power = (action: PowerAction) => transition(status, { type: 'power_requested', action }).ok
  return {
    start: power('start'),
    stop: power('stop'),
    restart: power('restart'),
    destroy: transition(status, { type: 'destroy_requested' }).ok,
    retry: transition(status, { type: 'retry_requested', kind: failedKind }).ok,
    // A change is cancelled through its rollback (core/deployment/change.ts), not the table.
    cancel:
      transition(status, { type: 'cancel_requested', leased: true }).ok || status === 'changing',
    backup: transition(status, { type: 'backup_requested' }).ok,
    restore: transition(status, { type: 'restore_requested' }).ok,
  }
}

/** Whether the deployment has (or will have) a VM worth powering: not before, not after. */
export function hasLifecycle(status: DeploymentStatus): boolean {
  return (
    WATCHED.includes(status) ||
    POWERING.includes(status) ||
    status === 'backing_up' ||
    status === 'restoring' ||
    status === 'changing' ||
    status === 'rolling_back'
  )
}

/** The job a status says is running, when it says one; else null (settled). */
export function runningKind(status: DeploymentStatus): JobKind | null {
  if (IN_PROGRESS.includes(status) || status === 'cancelling') return 'deploy'
  if (status === 'destroying') return 'destroy'
  if (status === 'stopping') return 'stop'
  if (status === 'starting') return 'start'
  if (status === 'restarting') return 'restart'
  if (status === 'backing_up') return 'backup'
  if (status === 'restoring') return 'restore'
  if (status === 'changing') return 'change'
  if (status === 'rolling_back') return 'rollback'
  return null
}

/**
 * The kind of job a timeline belongs to, from its step names: each kind runs its own list
 * (`stepsOf` in core/protocol/domain.ts). The API names the job only while it runs; the steps stay.
 */
export function kindOfSteps(steps: readonly Pick<StepView, 'name'>[]): JobKind | null {
  const names = steps.map((s) => s.name).join(',')
  return JobKind.options.find((kind) => stepsOf(kind).join(',') === names) ?? null
}

/** Whether the live status panel applies: the VM is there and a runner keeps an eye on it. */
export function isWatched(status: DeploymentStatus): boolean {
  return WATCHED.includes(status)
}

export type { LiveStatus }
