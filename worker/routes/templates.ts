import { drizzle } from 'drizzle-orm/d1'
import { Hono } from 'hono'
import { IN_PROGRESS, type DeploymentStatus } from '../../core/deployment-state'
import { TEMPLATE_GAME, TemplateRequest } from '../../core/template'
import type { AppEnv } from '../env'
import { auditEntry } from '../http/audit'
import { ApiError } from '../http/errors'
import { validate } from '../http/validate'
import { jobInsert, type StoredInputs } from '../lib/jobs'
import { templateSpec } from '../lib/template-job'
import { getProxmoxSettingsView } from '../settings/proxmox'
import { deploymentStub, hubStub } from '../do/stubs'

interface TemplateRow {
  id: string
  inputs_json: string
  status: DeploymentStatus
  error_json: string | null
  result_json: string | null
  created_at: number
  updated_at: number
}

/** A template job as Settings and the wizard show it (its steps and log come over its socket). */
function view(r: TemplateRow) {
  const inputs = JSON.parse(r.inputs_json) as StoredInputs
  return {
    id: r.id,
    status: r.status,
    release: inputs.spec.template?.release ?? null,
    mirrorUrl: inputs.spec.template?.mirrorUrl ?? null,
    error: r.error_json ? (JSON.parse(r.error_json) as unknown) : null,
    result: r.result_json ? (JSON.parse(r.result_json) as unknown) : null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

async function latest(db: D1Database): Promise<TemplateRow | null> {
  return db
    .prepare(`select * from deployments where game = ?1 order by created_at desc, id limit 1`)
    .bind(TEMPLATE_GAME)
    .first<TemplateRow>()
}

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
    const settings = await getProxmoxSettingsView(c.env)
    if (!settings?.tokenSecretSet) {
      throw new ApiError(
        409,
        'proxmox_not_configured',
        'Set up the Proxmox connection in Settings first.',
      )
    }
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
    const row = await c.env.DB.prepare(
      `insert into deployments (id, name, game, inputs_json, ip, status, created_by)
       values (?1, ?2, ?3, ?4, null, 'queued', ?5) returning *`,
    )
      .bind(id, spec.name, TEMPLATE_GAME, JSON.stringify(inputs), c.get('user').id)
      .first<TemplateRow>()
    if (!row) throw new Error('the new template job row came back empty')
    // The record's object exists before its job is queued, as for a deployment.
    await deploymentStub(c.env, id).init(spec, jobId)
    await drizzle(c.env.DB).batch([
      jobInsert(c.env.DB, id, jobId, 'template'),
      auditEntry(c, 'template.requested', {
        target: id,
        details: { release: req.release, mirror: req.mirrorUrl ?? null },
      }),
    ])
    c.executionCtx.waitUntil(hubStub(c.env).dispatch())
    return c.json({ job: view(row) }, 201)
  })
