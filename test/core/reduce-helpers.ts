import {
  initialState,
  reduce,
  type DeploymentEffect,
  type DeploymentInput,
  type DeploymentState,
  type Reduction,
} from '../../core/deployment'
import { DEPLOY_STEPS, type DeploymentSpec, type RunnerToDeployment } from '../../core/protocol'

/** Inputs and a deployed state for the reducer's tests. */

export const SPEC: DeploymentSpec = {
  deploymentId: 'd-1',
  name: 'survival',
  game: 'minecraft',
  gameConfig: {},
  cores: 2,
  memoryMiB: 4096,
  diskGiB: 16,
  ipAddress: '127.0.0.50',
  sshPublicKeys: [],
}
export const T0 = 1_700_000_000_000
export const RUNNER = 'runner-a'

/** Feed inputs in order, each against the state the last one returned; refusals throw. */
export function play(state: DeploymentState, ...inputs: DeploymentInput[]): Reduction {
  let out: Reduction = { state, effects: [] }
  for (const input of inputs) {
    out = reduce(out.state, input)
    if (out.refused) throw new Error(`${input.type} refused: ${out.refused}`)
  }
  return out
}

/** A frame as a runner writes it, without the version and job id the helper adds. */
export type Body = RunnerToDeployment extends infer F
  ? F extends unknown
    ? Omit<F, 'v' | 'jobId'>
    : never
  : never

export const frame = (body: Body, jobId = 'job-1', at = T0) =>
  ({
    type: 'runner_frame',
    runnerId: RUNNER,
    jobId,
    frame: { v: 1, jobId, ...body } as RunnerToDeployment,
    at,
  }) satisfies DeploymentInput

export const leased = (jobId = 'job-1', at = T0): DeploymentInput => ({
  type: 'leased',
  jobId,
  runnerId: RUNNER,
  attempt: 1,
  at,
})

export const kinds = (effects: readonly DeploymentEffect[]) => effects.map((e) => e.type)

/** A deploy leased and run up to (not including) its job.done. */
export function deployedSteps(): DeploymentState {
  const inputs: DeploymentInput[] = [leased()]
  inputs.push(frame({ type: 'step', step: DEPLOY_STEPS[0], status: 'running', at: T0 }))
  // Each step but the last done, naming the next one it started.
  DEPLOY_STEPS.slice(0, -1).forEach((step, i) => {
    const checkpoint = step === 'clone' ? { vmid: 4242 } : undefined
    const next = DEPLOY_STEPS[i + 1]
    inputs.push(frame({ type: 'step', step, status: 'done', at: T0 + i, next, checkpoint }))
  })
  return play(initialState(SPEC, 'job-1', T0), ...inputs).state
}
