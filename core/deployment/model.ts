import type { ScheduleState } from '../schedules'
import {
  type BackupParams,
  type DestroyParams,
  type PowerParams,
  DEPLOY_STEPS,
  stepsOf,
  type ChangeParams,
  type Checkpoint,
  type DeploymentSpec,
  type JobKind,
  type LastJob,
  type LiveStatus,
  type RestoreParams,
  type StepError,
  type StepName,
  type StepView,
} from '../protocol'
import type { DeploymentStatus } from './status'

/** A runner silent this long on a job loses the lease; the job goes back to the queue. */
export const LEASE_MS = 30_000
/** A step running longer than this fails (the runner is told to stop it). */
export const STEP_TIMEOUT_MS: Record<StepName, number> = {
  allocate: 5 * 60_000,
  clone: 20 * 60_000,
  configure: 5 * 60_000,
  resize: 10 * 60_000,
  start: 10 * 60_000,
  wait_ssh: 15 * 60_000,
  provision: 45 * 60_000,
  verify: 10 * 60_000,
  stop_vm: 10 * 60_000,
  delete_vm: 10 * 60_000,
  image_checksum: 5 * 60_000,
  // A cloud image is a few hundred MB: slow links get an hour.
  download_image: 60 * 60_000,
  create_vm: 30 * 60_000,
  make_template: 10 * 60_000,
  bake_layer: 45 * 60_000,
  seal_template: 10 * 60_000,
  save_world: 5 * 60_000,
  // vzdump of a large disk to a slow storage: hours, not minutes.
  vzdump: 6 * 60 * 60_000,
  resume_world: 5 * 60_000,
  // The first warning goes 10 minutes before the stop.
  warn_players: 15 * 60_000,
  prune_backups: 30 * 60_000,
  safety_backup: 6 * 60 * 60_000,
  restore_vm: 6 * 60 * 60_000,
  snapshot: 30 * 60_000,
  change_vm: 20 * 60_000,
  prune_snapshots: 30 * 60_000,
  rollback: 30 * 60_000,
}

export interface JobState {
  jobId: string
  kind: JobKind
  attempt: number
  /** Null while queued. */
  runnerId: string | null
  /** Highest runner-side seq persisted for this job. */
  ackedSeq: number
  cancelRequested: boolean
  /** Last frame from the runner on this job (epoch ms). */
  lastActivityAt: number
  /**
   * Steps done by this job, for kinds other than deploy (a deploy's live in the checkpoint, kept
   * across retries): a resumed power or destroy job skips them.
   */
  doneSteps?: StepName[]
  /** Queued by the cleanup policy after a failed deploy, not by the admin. */
  auto?: boolean
  /** A backup: the status the deployment returns to when it ends, whatever the outcome. */
  resumeStatus?: DeploymentStatus
  /** A restore: the archive, and whether an earlier attempt made the safety backup. */
  restore?: RestoreParams
  /** A backup: manual, or scheduled with its retention. */
  backup?: BackupParams
  /** A scheduled stop or restart: the players' warnings. */
  power?: PowerParams
  /** A destroy: whether the deployment's backups go with the VM. */
  destroy?: DestroyParams
  /** Started by this schedule (its last run follows the job). */
  scheduleId?: string
  /** A change or its rollback: the snapshot. */
  change?: ChangeParams
}

export interface DeploymentState {
  id: string
  status: DeploymentStatus
  spec: DeploymentSpec
  checkpoint: Checkpoint
  steps: StepView[]
  job: JobState | null
  /** The kind of the last job that failed, so retry runs that kind again. */
  failedKind: JobKind | null
  error: (StepError & { step?: StepName }) | null
  result: Record<string, unknown> | null
  /** Log lines mirrored to D1 up to here. */
  mirroredSeq: number
  /** The runner that last held a job of this deployment, for the list. */
  lastRunnerId?: string
  /** What was last written to the D1 row, to skip writes that change nothing. */
  rowSignature?: string
  /** The last live status a runner reported (power, game), while ready or stopped. */
  live?: LiveStatus | null
  /** Whether the hub was last told this deployment is watched (ready or stopped). */
  watched?: boolean
  /** How the last finished job ended. */
  lastJob?: LastJob | null
  /**
   * The restore asked for, kept until one succeeds: a retry after a failure restores the same
   * archive, without a second safety backup (the first holds the state from before).
   */
  restore?: RestoreParams | null
  /** Scheduled actions (backups, restarts, stop/start windows), run from the object's alarm. */
  schedules?: ScheduleState[]
  /** The change on its way (or rolling back), with what to go back to. */
  change?: ChangeState | null
  /** The last change that was rolled back, kept so the admin can try it again. */
  failedChange?: {
    spec: DeploymentSpec
    params: ChangeParams
    sealed?: string | null
    secretKeys?: string[]
    /** An update to the newest release of the `latest` channel (the spec does not move). */
    updateTo?: string
  } | null
}

/** A change in progress: the spec in force now is the new one; `previous` is the one before. */
export interface ChangeState {
  params: ChangeParams
  previous: DeploymentSpec
  /** The release installed before (the checkpoint's), restored with a rollback. */
  previousVersion?: string
  /**
   * The deployment's sealed secrets for the new config (a new join password), or undefined when
   * they do not change. They reach D1 only when the change succeeds.
   */
  sealed?: string | null
  /** The sensitive fields (sealed apart from the spec) this change gives new values. */
  secretKeys?: string[]
  /**
   * An update of a `latest` deployment to the newest release a runner reported: the spec stays
   * the same, the playbook resolves `latest` again and installs it.
   */
  updateTo?: string
  /** Set when the change failed or was cancelled and is being rolled back. */
  failure?: { outcome: 'failed' | 'cancelled' | 'done'; message: string }
  /** The spec the change tried (kept for a retry while the old one is back in force). */
  attempted?: DeploymentSpec
}

export function freshSteps(kind: JobKind, keepDone: readonly StepName[] = []): StepView[] {
  return stepsOf(kind).map((name) => ({
    name,
    status: keepDone.includes(name) ? 'done' : 'pending',
    startedAt: null,
    endedAt: null,
    attempt: 0,
    error: null,
  }))
}

export function initialState(spec: DeploymentSpec, jobId: string, at: number): DeploymentState {
  // A template or bake job's record (core/template.ts, core/bake.ts) starts with its own job;
  // any other, a deploy.
  const kind: JobKind = spec.template ? 'template' : spec.bake ? 'bake' : 'deploy'
  return {
    id: spec.deploymentId,
    status: 'queued',
    spec,
    checkpoint: { upids: {}, doneSteps: [] },
    steps: freshSteps(kind),
    job: newJob(jobId, kind, at),
    failedKind: null,
    error: null,
    result: null,
    mirroredSeq: 0,
  }
}

export function newJob(jobId: string, kind: JobKind, at: number): JobState {
  return {
    jobId,
    kind,
    attempt: 0,
    runnerId: null,
    ackedSeq: 0,
    cancelRequested: false,
    lastActivityAt: at,
  }
}

/** Steps of a deploy that were done stay done on a retry: the runner resumes after them. */
export function doneDeploySteps(checkpoint: Checkpoint): StepName[] {
  return DEPLOY_STEPS.filter((s) => checkpoint.doneSteps.includes(s))
}

/** The steps the current job has done: the deploy's checkpoint, or the job's own list. */
export function jobDoneSteps(state: DeploymentState): StepName[] {
  const job = state.job
  if (!job || job.kind === 'deploy') return state.checkpoint.doneSteps
  return job.doneSteps ?? []
}

/** The checkpoint a runner resumes the current job from. */
export function jobCheckpoint(state: DeploymentState): Checkpoint {
  return { ...state.checkpoint, doneSteps: jobDoneSteps(state) }
}
