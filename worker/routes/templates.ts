import { Hono } from 'hono'
import { IN_PROGRESS } from '../../core/deployment/status'
import { TEMPLATE_GAME, TemplateRequest } from '../../core/template'
import type { AppEnv } from '../env'
import { auditEntry } from '../http/audit'
import { ApiError } from '../http/errors'
import { validate } from '../http/validate'
import { batch } from '../db/client'
import {
  insertDeployment,
  latestOfGame,
  type DeploymentRow,
  storedInputs,
  type StoredInputs,
} from '../db/deployments'
import { jobInsert } from '../db/jobs'
import { templateSpec } from '../lib/template-job'
import { getProxmoxSettingsView, requireProxmoxSettings } from '../settings/proxmox'
import { deploymentStub, hubStub } from '../do/stubs'

/** A template job as Settings and the wizard show it (its steps and log come over its socket). */
function view(r: DeploymentRow) {
  const inputs = storedInputs(r)
  return {
    id: r.id,
    status: r.status,
    release: inputs.spec.template?.release ?? null,
    mirrorUrl: inputs.spec.template?.mirrorUrl ?? null,
    error: r.errorJson ? (JSON.parse(r.errorJson) as unknown) : null,
    result: r.resultJson ? (JSON.parse(r.resultJson) as unknown) : null,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  }
}

const latest = (db: D1Database) => latestOfGame(db, TEMPLATE_GAME)

/**
 * "Prepare a template": the job that builds the cloud-init template from an official Debian
 * image on a runner (core/template.ts). Its record is a deployment the game list hides, so the
 * deployment routes serve its live socket, log and retry.
 */
export const templatesRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const row = await latest(c.env.DB)
    const settings = await getProxmoxSettingsView(c.env)
    return c.json({
      job: row ? view(row) : null,
      templateVmid: settings?.templateVmid ?? null,
    })
  })
  .post('/', validate('json', TemplateRequest), async (c) => {
    const req = c.req.valid('json')
    await requireProxmoxSettings(c.env)
    const running = await latest(c.env.DB)
    if (running && (IN_PROGRESS.includes(running.status) || running.status === 'cancelling')) {
      throw new ApiError(
        409,
        'template_job_running',
        'A template is already being prepared: wait for it to finish.',
      )
    }
    const id = crypto.randomUUID()
    const jobId = crypto.randomUUID()
    const spec = templateSpec(id, req)
    const inputs: StoredInputs = { spec, gameSecretsEnc: null }
    const row = await insertDeployment(c.env.DB, {
      id,
      name: spec.name,
      game: TEMPLATE_GAME,
      inputsJson: JSON.stringify(inputs),
      ip: null,
      createdBy: c.get('user').id,
    })
    // The record's object exists before its job is queued, as for a deployment.
    await deploymentStub(c.env, id).init(spec, jobId)
    await batch(c.env.DB, [
      jobInsert(c.env.DB, id, jobId, 'template'),
      auditEntry(c, 'template.requested', {
        target: id,
        details: { release: req.release, mirror: req.mirrorUrl ?? null },
      }),
    ])
    c.executionCtx.waitUntil(hubStub(c.env).dispatch())
    return c.json({ job: view(row) }, 201)
  })
