import { JobAssignment } from '../../core/protocol'
import type { LeasedJobInputs } from '../do/leased-inputs'
import { openInputs } from './game-secrets'
import { loadProxmoxConnection } from '../settings/proxmox'
import { sealedGameSecretsOf } from '../db/deployments'
import type { LeasedJob } from '../db/jobs'

/**
 * Everything the runner needs for a job: the spec (from the deployment's object, its one owner),
 * the Proxmox connection, and the secrets (sealed in D1, opened here for this one assignment).
 */
export async function buildAssignment(
  env: Env,
  job: LeasedJob,
  inputs: LeasedJobInputs,
  leaseMs: number,
): Promise<JobAssignment> {
  const { spec, restore, backup, destroy, power, change } = inputs
  const stored = await sealedGameSecretsOf(env.DB, job.deploymentId)
  if (stored === undefined)
    throw new Error(`deployment ${job.deploymentId} of job ${job.id} is missing`)
  // A change's new secrets come from its deployment's object until the change succeeds.
  const sealed = inputs.sealed !== undefined ? inputs.sealed : stored
  const proxmox = await loadProxmoxConnection(env)
  if (!proxmox) throw new Error('the Proxmox connection is not configured')
  const { gameConfig, gameSecrets, redact } = await openInputs(env, spec.game, {
    spec,
    gameSecretsEnc: sealed,
  })
  return JobAssignment.parse({
    jobId: job.id,
    deploymentId: job.deploymentId,
    kind: job.kind,
    attempt: job.attempt,
    leaseExpiresAt: Date.now() + leaseMs,
    spec: { ...spec, gameConfig },
    proxmox,
    secrets: redact,
    gameSecrets,
    ...(restore ? { restore } : {}),
    ...(backup ? { backup } : {}),
    ...(destroy ? { destroy } : {}),
    ...(power ? { power } : {}),
    ...(change ? { change } : {}),
  })
}
