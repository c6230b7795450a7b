import { drizzle } from 'drizzle-orm/d1'
import { JobAssignment, type DeploymentSpec, type JobKind } from '../../core/protocol'
import { openInputs } from './game-secrets'
import { loadProxmoxConnection } from '../settings/proxmox'
import { jobs } from '../db/schema'

/** How the deployment's inputs are stored in D1 (`deployments.inputs_json`). */
export interface StoredInputs {
  spec: DeploymentSpec
  /**
   * The game's generated secrets and its sensitive config fields, sealed with APP_ENC_KEY
   * (lib/game-secrets.ts); never returned by the API. `spec.gameConfig` lacks those fields.
   */
  gameSecretsEnc: string | null
}

/** The statement that queues a job (the caller then asks the hub to dispatch), to batch. */
export function jobInsert(db: D1Database, deploymentId: string, jobId: string, kind: JobKind) {
  return drizzle(db).insert(jobs).values({ id: jobId, deploymentId, kind, status: 'queued' })
}

/**
 * Lease the oldest queued job to `runnerId`, atomically: two dispatchers can never lease the same
 * job. Returns the leased job, or null when the queue is empty.
 */
export async function leaseNextJob(
  db: D1Database,
  runnerId: string,
  leaseMs: number,
): Promise<{ id: string; deploymentId: string; kind: string; attempt: number } | null> {
  const now = Date.now()
  return db
    .prepare(
      `update jobs set status = 'leased', runner_id = ?1, lease_expires_at = ?2, attempt = attempt + 1,
         updated_at = ?3
       where id = (select id from jobs where status = 'queued' order by created_at, id limit 1)
         and status = 'queued'
       returning id, deployment_id as deploymentId, kind, attempt`,
    )
    .bind(runnerId, now + leaseMs, now)
    .first()
}

/** Everything the runner needs for a job: the spec, the Proxmox connection, the secrets. */
export async function buildAssignment(
  env: Env,
  job: { id: string; deploymentId: string; kind: string; attempt: number },
  leaseMs: number,
): Promise<JobAssignment> {
  const row = await env.DB.prepare('select inputs_json from deployments where id = ?1')
    .bind(job.deploymentId)
    .first<{ inputs_json: string }>()
  if (!row) throw new Error(`deployment ${job.deploymentId} of job ${job.id} is missing`)
  const inputs = JSON.parse(row.inputs_json) as StoredInputs
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
