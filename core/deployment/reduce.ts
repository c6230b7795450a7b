import { updateRefusal } from '../change-plan'
import type { DeploymentInput, Reduction } from './effects'
import type { DeploymentState } from './model'
import { cancelChange, requestChange, retryChange } from './change'
import { Draft } from './draft'
import { runnerFrame } from './runner-frames'
import { scheduleDue, setSchedules } from './schedules'

// Every runtime core runs in (workerd, Node, browsers) has it; core's lib (ES2023 alone) lacks it.
declare const structuredClone: <T>(value: T) => T

/**
 * The deployment, as one pure function: `reduce(state, input)` returns the next state and the
 * effects that make it real (persist, tell the dashboards, keep D1's job queue in step, talk to
 * the runner). The DeploymentDO only turns RPC calls, frames and alarms into inputs and runs the
 * effects; every decision — status, steps, checkpoint, job, error, result — is made here, and the
 * whole lifecycle is tested from Node (test/core/deployment-reduce.test.ts). The status table
 * (status.ts) decides which status an event leads to; this adds everything else.
 */
export function reduce(state: DeploymentState, input: DeploymentInput): Reduction {
  const draft = new Draft(structuredClone(state))
  switch (input.type) {
    case 'leased':
      return draft.leased(input)
    case 'runner_frame':
      return runnerFrame(draft, input)
    case 'cancel':
      return draft.s.job?.kind === 'change' || draft.s.job?.kind === 'rollback'
        ? cancelChange(draft, input.by, input.leased, input.at)
        : draft.cancel(input.by, input.leased, input.at)
    case 'retry':
      // After a rolled-back change the deployment is ready: retry tries the change again.
      return draft.s.status === 'ready' && draft.s.failedChange
        ? retryChange(draft, input.jobId, input.at)
        : draft.retry(input.jobId, input.at)
    case 'change':
      if (input.updateTo !== undefined) {
        // An update goes only to the release a runner last reported as the channel's newest.
        const refusal =
          updateRefusal(draft.s.spec, draft.s.checkpoint.gameVersion, input.updateTo) ??
          (draft.s.live?.latestVersion !== input.updateTo
            ? `no runner has reported ${input.updateTo} as the newest release of this channel`
            : null)
        if (refusal) return draft.refuse(refusal)
      }
      return requestChange(
        draft,
        input.jobId,
        input.spec,
        input.sealed,
        input.at,
        input.secretKeys,
        input.updateTo,
      )
    case 'power':
      return draft.power(input.action, input.jobId, input.at)
    case 'destroy':
      return draft.destroy(input.jobId, input.auto, input.at, input.deleteBackups === true)
    case 'backup':
      return draft.backup(input.jobId, input.at)
    case 'restore':
      return draft.restore(input.jobId, input.volid, input.at)
    case 'runner_lost':
      return draft.runnerLost(input)
    case 'tick':
      return draft.tick(input.lastHeardAt, input.at)
    case 'live':
      return draft.live(input)
    case 'set_schedules':
      return setSchedules(draft, input)
    case 'schedule_due':
      return scheduleDue(draft, input)
  }
}
