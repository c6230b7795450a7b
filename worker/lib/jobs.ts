import { JobAssignment } from '../../core/protocol'
import { openInputs } from './game-secrets'
import { loadProxmoxConnection } from '../settings/proxmox'
import { inputsJsonOf, type StoredInputs } from '../db/deployments'
import type { LeasedJob } from '../db/jobs'

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
