import type {
  DeploymentSpec,
  DeploymentToRunner,
  FrameBody,
  JobKind,
  LiveStatus,
  LogLine,
  PowerAction,
  RunnerToDeployment,
} from '../protocol'
import type { Schedule } from '../schedules'
import type { DeploymentState } from './model'

/**
 * What can happen to a deployment, as the reducer (reduce.ts) takes it: the admin's requests, the
 * hub's lease, the runner's frames on the job socket, the alarm, a live status. Every input
 * carries its time (`at`), so the reducer reads no clock and a test replays any history.
 */
export type DeploymentInput =
  /** The hub leased the current job to a runner. */
  | { type: 'leased'; jobId: string; runnerId: string; attempt: number; at: number }
  /** A frame on the job socket of `jobId`, opened by `runnerId`. */
  | { type: 'runner_frame'; runnerId: string; jobId: string; frame: RunnerToDeployment; at: number }
  /**
   * The admin (`by`) cancels. `leased`: a runner holds the job (or took it from the queue just
   * now), so it must be told to stop; otherwise the job was taken out of the queue already.
   */
  | { type: 'cancel'; by: string; leased: boolean; at: number }
  /** Run the failed job again as `jobId`. */
  | { type: 'retry'; jobId: string; at: number }
  /** Start, stop or restart the VM as `jobId`. */
  | { type: 'power'; action: PowerAction; jobId: string; at: number }
  /** Put the backup `volid` back over the VM (ready or stopped) as `jobId`. */
  | { type: 'restore'; jobId: string; volid: string; at: number }
  /**
   * Change a ready deployment to `spec` as `jobId` (snapshot first, rolled back on failure);
   * `sealed`: its sealed secrets when they change (a new join password).
   */
  | {
      type: 'change'
      jobId: string
      spec: DeploymentSpec
      sealed?: string | null
      /** The sensitive fields it changes (their values are sealed, never in the spec). */
      secretKeys?: string[]
      /** An update of a `latest` deployment to this newer release (the spec stays the same). */
      updateTo?: string
      at: number
    }
  /** Back up the VM (ready or stopped) as `jobId`. */
  | { type: 'backup'; jobId: string; at: number }
  /** Destroy the VM as `jobId`; `auto`: queued by the cleanup policy after a failed deploy. */
  | { type: 'destroy'; jobId: string; auto: boolean; deleteBackups?: boolean; at: number }
  /**
   * The runner holding the job is gone: revoked (any job of `runnerId`), or it never got the job
   * it was leased (`jobId` given). The job goes back to the queue.
   */
  | { type: 'runner_lost'; runnerId: string; jobId?: string; why: string; at: number }
  /**
   * The alarm: checks the lease (`lastHeardAt`: the job's last frame or heartbeat, whichever is
   * later) and the running step's timeout.
   */
  | { type: 'tick'; lastHeardAt: number; at: number }
  /** A runner's refresh of the live status (power, game). */
  | { type: 'live'; live: LiveStatus }
  /**
   * The admin's scheduled actions, replacing the previous list. `minuteMs`: a minute's length
   * (shortened in tests, for every-N-hours schedules).
   */
  | { type: 'set_schedules'; schedules: Schedule[]; minuteMs: number; at: number }
  /** The alarm found a schedule due: run it as `jobId` (or record why it could not). */
  | { type: 'schedule_due'; jobId: string; minuteMs: number; at: number }

export type JobEnd = 'done' | 'failed' | 'cancelled'

/**
 * What the DeploymentDO does after a reduction, in order. The new state is already decided; the
 * effects persist it, tell whoever must know, and keep D1's job queue in step.
 */
export type DeploymentEffect =
  /** Persist the state, nobody told (a replayed frame, a heartbeat's time). */
  | { type: 'store' }
  /**
   * Persist, send the state to the dashboards, re-arm the alarm, and write the D1 row when `row`
   * (and what it shows changed). `watchChanged`: the runners' watch lists must follow.
   */
  | { type: 'save'; row: boolean; watchChanged: boolean }
  /** Persist with a new live status, send it to the dashboards, update the row. */
  | { type: 'save_live'; live: LiveStatus }
  /** Store the job's new log lines with the state (one transaction), then send them on. */
  | { type: 'append_logs'; jobId: string; lines: LogLine[] }
  /** Re-arm the alarm (the lease moved). */
  | { type: 'arm_alarm' }
  /** A line the dashboard writes in the deployment's log (e.g. who cancelled). */
  | { type: 'log_line'; jobId: string; text: string }
  /** Answer on the job socket the frame came from. */
  | { type: 'reply'; frame: FrameBody<DeploymentToRunner> }
  /** Close the job socket the frame came from. */
  | { type: 'close_socket'; code: number; reason: string }
  /** Tell the runner to stop the job: on its job socket, and through the hub when it has one. */
  | { type: 'stop_on_runner'; jobId: string; runnerId: string | null }
  /** D1: the job is queued again for any runner. */
  | { type: 'requeue_row'; jobId: string }
  /** D1: the job ended. */
  | { type: 'close_row'; jobId: string; status: JobEnd }
  /**
   * D1: queue a job this object started itself (the cleanup policy's destroy, a schedule's
   * action), with its audit entry.
   */
  | {
      type: 'insert_row'
      jobId: string
      kind: JobKind
      audit: { action: string; details: Record<string, unknown> }
    }
  /** A scheduled action was missed or its job failed: the admin's alert channels hear it. */
  | { type: 'schedule_failed'; scheduleId: string; action: string; error: string }
  /** A change succeeded: its spec (and sealed secrets, when they changed) go to the D1 row. */
  | { type: 'save_inputs'; spec: DeploymentSpec; sealed?: string | null }
  /** A template job succeeded: select the template in Settings. */
  | { type: 'template_built'; result: Record<string, unknown> | undefined }
  /** A bake job ended: its record's address goes back to the pool (core/bake.ts). */
  | { type: 'template_baked'; result: Record<string, unknown> | undefined }
  /** A deploy failed: the cleanup policy may queue a destroy (it lives in D1). */
  | { type: 'apply_cleanup_policy' }
  /** A slot was freed or a job queued: the hub hands out queued jobs. */
  | { type: 'dispatch' }
  /** Something refused or odd, for the operator's log. */
  | { type: 'warn'; message: string }

export interface Reduction {
  state: DeploymentState
  effects: DeploymentEffect[]
  /** Why the input was refused (the state is unchanged), in words for the admin. */
  refused?: string
}
