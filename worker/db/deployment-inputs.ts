import { eq } from 'drizzle-orm'
import type { DeploymentSpec } from '../../core/protocol'
import { orm } from './client'
import { storedInputs, type StoredInputs } from './deployments'
import { deployments } from './schema'

/**
 * A changed deployment's inputs: the spec its Durable Object now runs, and the sealed secrets when
 * the change gave new ones (a new join password), written once the change succeeded, so the list,
 * the watch and the next jobs read what is deployed.
 */
export async function saveDeploymentInputs(
  db: D1Database,
  id: string,
  spec: DeploymentSpec,
  sealed: string | null | undefined,
): Promise<void> {
  const row = await orm(db)
    .select({ inputsJson: deployments.inputsJson })
    .from(deployments)
    .where(eq(deployments.id, id))
    .get()
  if (!row) return
  const before = storedInputs(row)
  const inputs: StoredInputs = {
    spec,
    gameSecretsEnc: sealed === undefined ? before.gameSecretsEnc : sealed,
  }
  await orm(db)
    .update(deployments)
    .set({ inputsJson: JSON.stringify(inputs), updatedAt: Date.now() })
    .where(eq(deployments.id, id))
}
