import * as z from 'zod'
import type { DeploymentSpec } from '../../core/protocol'
import { TEMPLATE_GAME, templateVmName, type TemplateRequest } from '../../core/template'
import { systemAudit } from '../db/audit-log'
import { selectTemplateVmid } from '../settings/proxmox'

/**
 * The worker's side of the template job (core/template.ts): the hidden deployment record's spec,
 * and what happens when the job succeeds.
 */

/** The spec of a template job's record: only `template` matters, the rest fills the shape. */
export function templateSpec(deploymentId: string, req: TemplateRequest): DeploymentSpec {
  return {
    deploymentId,
    name: templateVmName(req.release),
    game: TEMPLATE_GAME,
    gameConfig: {},
    cores: 2,
    memoryMiB: 2_048,
    diskGiB: 4,
    ipAddress: '',
    sshPublicKeys: [],
    template: req,
  }
}

/** What the runner reports at the end of a template job. */
const TemplateResult = z.object({ templateVmid: z.number().int().min(100).max(999_999_999) })

/**
 * The template job succeeded: select the template it built in Settings, so the next deployment
 * clones it. A result without a VM id changes nothing (and says so in the worker's log).
 */
export async function templateBuilt(
  env: Env,
  deploymentId: string,
  result: Record<string, unknown> | undefined,
): Promise<void> {
  const parsed = TemplateResult.safeParse(result ?? {})
  if (!parsed.success) {
    console.warn(JSON.stringify({ level: 'warn', deployment: deploymentId, template: 'no vmid' }))
    return
  }
  const { templateVmid } = parsed.data
  if (await selectTemplateVmid(env, templateVmid, 'template job')) {
    await systemAudit(env.DB, 'settings.template_selected', {
      target: 'proxmox',
      details: { templateVmid, job: deploymentId },
    })
  }
}
