import type { DeploymentState } from '../../core/deployment'
import type {
  BackupParams,
  ChangeParams,
  DeploymentSpec,
  DestroyParams,
  PowerParams,
  RestoreParams,
} from '../../core/protocol'

/** What the runner's assignment takes from the deployment's object: the spec and job parameters. */
export interface LeasedJobInputs {
  spec: DeploymentSpec
  restore?: RestoreParams
  /** A backup's kind and retention. */
  backup?: BackupParams
  /** A destroy's choice about the backups. */
  destroy?: DestroyParams
  /** A scheduled stop or restart's warnings to the players. */
  power?: PowerParams
  /** A change's or rollback's snapshot. */
  change?: ChangeParams
  /** A change's new sealed secrets (D1 keeps the old ones until it succeeds). */
  sealed?: string | null
}

/** The inputs of the job the state holds, as the hub builds the runner's assignment from them. */
export function leasedInputs(state: DeploymentState): LeasedJobInputs {
  const { restore, change, kind, backup, destroy, power } = state.job ?? {}
  const sealed = kind === 'change' ? state.change?.sealed : undefined
  return {
    spec: state.spec,
    ...(restore ? { restore } : {}),
    ...(backup ? { backup } : {}),
    ...(destroy ? { destroy } : {}),
    ...(power ? { power } : {}),
    ...(change ? { change } : {}),
    ...(sealed !== undefined ? { sealed } : {}),
  }
}
