import { JobAssignment, type DeploymentSpec } from '../../core/protocol'
import { openInputs } from './game-secrets'
import { loadProxmoxConnection } from '../settings/proxmox'
import { inputsJsonOf } from '../db/deployments'
import type { LeasedJob } from '../db/jobs'

/** How the deployment's inputs are stored in D1 (`deployments.inputs_json`). */
export interface StoredInputs {
  spec: DeploymentSpec
  /**
   * The game's generated secrets and its sensitive config fields, sealed with APP_ENC_KEY
   * (lib/game-secrets.ts); never returned by the API. `spec.gameConfig` lacks those fields.
   */
  gameSecretsEnc: string | null
}

/** Everything the runner needs for a job: the spec, the Proxmox connection, the secrets. */
export async function buildAssignment(
  env: Env,
  job: LeasedJob,
  leaseMs: number,
): Promise<JobAssignment> {
  const inputsJson = await inputsJsonOf(env.DB, job.deploymentId)
  if (inputsJson === null)
    throw new Error(`deployment ${job.deploymentId} of job ${job.id} is missing`)
  const inputs = JSON.parse(inputsJson) as StoredInputs
  const proxmox = await loadProxmoxConnection(env)
  if (!proxmox) throw new Error('the Proxmox connection is not configured')
  const { gameConfig, gameSecrets, redact } = await openInputs(env, inputs.spec.game, inputs)
  return JobAssignment.parse({
    jobId: job.id,
    deploymentId: job.deploymentId,
    kind: job.kind,
    attempt: job.attempt,
    leaseExpiresAt: Date.now() + leaseMs,
    spec: { ...inputs.spec, gameConfig },
    proxmox,
    secrets: redact,
    gameSecrets,
  })
}
