import * as z from 'zod'
import {
  BAKE_GAME,
  BAKE_LAYERS,
  bakedTemplateName,
  isCurrentLayer,
  parseBakedName,
  type BakeRequest,
} from '../../core/bake'
import type { DeploymentSpec } from '../../core/protocol'
import { systemAudit } from '../db/audit-log'
import { releaseAddress, storedInputs, type DeploymentRow } from '../db/deployments'

/**
 * The worker's side of a bake job (core/bake.ts): the hidden record's spec, its view, and what
 * happens when it ends.
 */

/** The spec of a bake job's record: the VM it bakes on is sized like a small deployment. */
export function bakeSpec(deploymentId: string, req: BakeRequest, ip: string): DeploymentSpec {
  const layer = BAKE_LAYERS[req.game]
  return {
    deploymentId,
    name: bakedTemplateName(req.game, req.javaMajor, layer),
    game: BAKE_GAME,
    gameConfig: {},
    cores: 2,
    memoryMiB: 2_048,
    diskGiB: 8,
    ipAddress: ip,
    sshPublicKeys: [],
    bake: { ...req, layer },
  }
}

/** What the runner reports at the end of a bake job. */
const BakeResult = z.object({ templateVmid: z.number().int(), name: z.string() })

/** A bake job as Settings shows it: which template, and whether the layer moved since. */
export function bakeView(r: DeploymentRow) {
  const { spec } = storedInputs(r)
  const result = r.resultJson ? BakeResult.safeParse(JSON.parse(r.resultJson)) : null
  const made = result?.success ? result.data : null
  const baked = made ? parseBakedName(made.name) : null
  return {
    id: r.id,
    status: r.status,
    game: spec.bake?.game ?? null,
    javaMajor: spec.bake?.javaMajor ?? null,
    name: spec.name,
    templateVmid: made?.templateVmid ?? null,
    /** The layer files changed since this template was baked: deployments skip it. */
    outOfDate: baked ? !isCurrentLayer(baked) : false,
    error: r.errorJson ? (JSON.parse(r.errorJson) as unknown) : null,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  }
}

/**
 * A bake job ended well: its VM is a template now, so the record's address goes back to the pool
 * (and the record has nothing to watch).
 */
export async function templateBaked(
  env: Env,
  deploymentId: string,
  result: Record<string, unknown> | undefined,
): Promise<void> {
  await releaseAddress(env.DB, deploymentId)
  const parsed = BakeResult.safeParse(result ?? {})
  await systemAudit(env.DB, 'template.baked', {
    target: deploymentId,
    details: parsed.success ? parsed.data : { result: 'none' },
  })
}
