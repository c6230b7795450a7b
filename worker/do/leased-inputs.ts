import type { DeploymentState } from '../../core/deployment'
import type { ChangeParams, DeploymentSpec, RestoreParams } from '../../core/protocol'

/** What the runner's assignment takes from the deployment's object: the spec, the restore. */
export interface LeasedJobInputs {
  spec: DeploymentSpec
  restore?: RestoreParams
  /** A change's or rollback's snapshot. */
  change?: ChangeParams
  /** A change's new sealed secrets (D1 keeps the old ones until it succeeds). */
  sealed?: string | null
}

/** The inputs of the job the state holds, as the hub builds the runner's assignment from them. */
export function leasedInputs(state: DeploymentState): LeasedJobInputs {
  const { restore, change, kind } = state.job ?? {}
  const sealed = kind === 'change' ? state.change?.sealed : undefined
  return {
    spec: state.spec,
    ...(restore ? { restore } : {}),
    ...(change ? { change } : {}),
    ...(sealed !== undefined ? { sealed } : {}),
  }
}
