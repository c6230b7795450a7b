import type { DeploymentState } from '../../core/deployment'
import type {
  FrameBody,
  JobKind,
  LastJob,
  LiveStatus,
  ServerToDashboard,
  StepView,
} from '../../core/protocol'
import type { DeploymentMirror } from '../db/deployments'

/** What of the live status the D1 row (the list) changes with: not the time of the check. */
function liveSummary(live: LiveStatus | null | undefined): unknown {
  if (!live) return null
  const game = live.game
  return [live.power, game?.online ?? null, game?.online ? (game.players ?? null) : null]
}

/**
 * What the deployments list shows, as the D1 row holds it, and a signature of it: the time of a
 * live check alone does not make a write, the list shows what changed.
 */
export function rowOf(state: DeploymentState): { row: DeploymentMirror; signature: string } {
  const row: DeploymentMirror = {
    status: state.status,
    vmid: state.checkpoint.vmid ?? null,
    errorJson: state.error ? JSON.stringify(state.error) : null,
    resultJson: state.result ? JSON.stringify(state.result) : null,
    runnerId: state.job?.runnerId ?? state.lastRunnerId ?? null,
    liveJson: state.live ? JSON.stringify(state.live) : null,
  }
  const signature = JSON.stringify([
    row.status,
    row.vmid,
    row.errorJson,
    row.resultJson,
    row.runnerId,
    liveSummary(state.live),
  ])
  return { row, signature }
}

/** The dashboard's `state` frame: everything its page shows but the log lines. */
export function stateFrame(state: DeploymentState, lastSeq: number): FrameBody<ServerToDashboard> {
  return {
    type: 'state',
    status: state.status,
    steps: state.steps,
    error: state.error,
    result: state.result,
    vmid: state.checkpoint.vmid ?? null,
    ip: state.spec.ipAddress,
    lastSeq,
    live: state.live ?? null,
    jobKind: state.job?.kind ?? null,
    lastJob: state.lastJob ?? null,
  }
}

export interface DetailView {
  steps: StepView[]
  job: { id: string; kind: JobKind; attempt: number; runnerId: string | null } | null
  lastSeq: number
  mirroredSeq: number
  live: LiveStatus | null
  lastJob: LastJob | null
}

/** What the API's detail view adds to the D1 row: the timeline and the current job. */
export function detailView(state: DeploymentState, lastSeq: number): DetailView {
  const job = state.job
  return {
    steps: state.steps,
    job: job
      ? { id: job.jobId, kind: job.kind, attempt: job.attempt, runnerId: job.runnerId }
      : null,
    lastSeq,
    mirroredSeq: state.mirroredSeq,
    live: state.live ?? null,
    lastJob: state.lastJob ?? null,
  }
}
