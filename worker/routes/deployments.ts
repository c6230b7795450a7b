import * as z from 'zod'
import { Hono } from 'hono'
import { CreateDeployment, ListDeploymentsQuery, LogsQuery } from '../../core/deployment-api'
import { snapshotName } from '../../core/change-plan'
import { DeploymentStatus } from '../../core/deployment/status'
import { getGame, GAMES } from '../../core/games'
import { BAKE_GAME } from '../../core/bake'
import { TEMPLATE_GAME } from '../../core/template'
import { effectiveScope } from '../../core/people'
import type { LiveStatus, PowerAction } from '../../core/protocol'
import type { AppContext, AppEnv } from '../env'
import { audit } from '../http/audit'
import { randomToken } from '../crypto/tokens'
import { viewConfig } from '../lib/game-secrets'
import { createDeploymentRecord } from '../lib/create-deployment'
import { enqueue } from '../lib/enqueue'
import { ApiError, notFound } from '../http/errors'
import {
  deploymentById,
  listDeployments,
  type DeploymentRow,
  storedInputs,
} from '../db/deployments'
import { recordSocket } from '../http/sessions'
import { deploymentStub } from '../do/stubs'
import { mutable } from '../http/response'
import { invalid, validate } from '../http/validate'
import { requireWebSocketUpgrade } from '../http/websocket'

const DestroyBody = z.object({ deleteBackups: z.boolean().default(false) })

/** A deployment as the API shows it: never its secrets. */
export function rowView(r: DeploymentRow) {
  const inputs = storedInputs(r)
  return {
    id: r.id,
    name: r.name,
    game: r.game,
    status: r.status,
    ip: r.ip,
    vmid: r.vmid,
    runnerId: r.runnerId,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    config: viewConfig(r.game, inputs.spec.gameConfig),
    sizing: {
      cores: inputs.spec.cores,
      memoryMiB: inputs.spec.memoryMiB,
      diskGiB: inputs.spec.diskGiB,
    },
    error: r.errorJson ? (JSON.parse(r.errorJson) as unknown) : null,
    result: r.resultJson ? (JSON.parse(r.resultJson) as unknown) : null,
    /** Made from a backup (of this or another, maybe destroyed, deployment): which. */
    restoredFrom: inputs.spec.restoreFrom ?? null,
    /** The last live status (power, game) a runner reported; null before the first. */
    live: r.liveJson ? (JSON.parse(r.liveJson) as LiveStatus) : null,
  }
}

export async function loadRow(c: AppContext, id: string): Promise<DeploymentRow> {
  const row = await deploymentById(c.env.DB, id)
  if (!row) throw notFound('Deployment')
  return row
}

/** `POST /:id/start|stop|restart`: a power job, refused with the reason when not allowed. */
function powerRoute(action: PowerAction) {
  return async (c: AppContext) => {
    const row = await loadRow(c, c.req.param('id') ?? '')
    const jobId = crypto.randomUUID()
    const result = await deploymentStub(c.env, row.id).requestPower(action, jobId)
    refused(result)
    await enqueue(c, row.id, jobId, action, `deployment.${action}_requested`)
    return c.json({ deployment: rowView(await loadRow(c, row.id)) })
  }
}

/** Turn a refused state-machine action into a clear 409. */
export function refused(result: { ok: true } | { ok: false; reason: string }): void {
  if (!result.ok) throw new ApiError(409, 'invalid_state', `Refused: ${result.reason}.`)
}

/** The game catalogue, for the new-deployment form. */
export const gamesRoutes = new Hono<AppEnv>().get('/', (c) =>
  c.json({
    games: Object.values(GAMES).map((g) => ({
      id: g.id,
      name: g.name,
      summary: g.summary,
      defaults: g.defaults as Record<string, unknown>,
      advancedFields: g.advancedFields,
    })),
  }),
)

export const deploymentsRoutes = new Hono<AppEnv>()
  .post('/', validate('json', CreateDeployment), async (c) => {
    const body = c.req.valid('json')
    const game = getGame(body.game)
    if (!game) {
      throw new ApiError(
        400,
        'invalid_request',
        `Invalid body: game: unknown game "${body.game}"`,
        {
          details: [{ path: 'game', message: `must be one of ${Object.keys(GAMES).join(', ')}` }],
        },
      )
    }
    const parsed = game.configSchema.safeParse(body.config)
    if (!parsed.success) {
      const err = invalid(parsed.error, 'body')
      const details = (err.details as { path: string; message: string }[]).map((d) => ({
        path: `config.${d.path}`,
        message: d.message,
      }))
      throw new ApiError(
        400,
        'invalid_request',
        `Invalid body: ${details[0]?.path}: ${details[0]?.message}`,
        {
          details,
        },
      )
    }
    const config = parsed.data
    const secrets: Record<string, string> = {}
    for (const x of game.secrets(config)) secrets[x.name] = randomToken(x.bytes)
    const row = await createDeploymentRecord(c, {
      name: body.name,
      game,
      config: config as Record<string, unknown>,
      secrets,
      sizing: game.sizing(config),
      network: body.network,
      sshPublicKeys: body.sshPublicKeys,
      audit: { action: 'deployment.created', details: { name: body.name, game: game.id } },
    })
    return c.json({ deployment: rowView(row) }, 201)
  })
  .get('/', validate('query', ListDeploymentsQuery), async (c) => {
    const { status, limit } = c.req.valid('query')
    const wanted = status === undefined ? null : DeploymentStatus.safeParse(status)
    if (wanted && !wanted.success) {
      throw new ApiError(
        400,
        'invalid_request',
        `Invalid query: status: unknown status "${status}"`,
        {
          details: [
            { path: 'status', message: `must be one of ${DeploymentStatus.options.join(', ')}` },
          ],
        },
      )
    }
    // Template jobs (core/template.ts) have records of their own, but are not games.
    const user = c.get('user')
    const only = effectiveScope(user) === 'granted' ? Object.keys(user.grants) : null
    const rows = await listDeployments(
      c.env.DB,
      wanted?.data ?? null,
      limit,
      [TEMPLATE_GAME, BAKE_GAME],
      only,
    )
    return c.json({ deployments: rows.map(rowView) })
  })
  .get('/:id', async (c) => {
    const row = await loadRow(c, c.req.param('id'))
    const live = await deploymentStub(c.env, row.id).view()
    return c.json({
      deployment: {
        ...rowView(row),
        steps: live?.steps ?? [],
        job: live?.job ?? null,
        lastSeq: live?.lastSeq ?? 0,
        /** Log lines copied to D1 so far (the rest are stored in the deployment's own log). */
        mirroredSeq: live?.mirroredSeq ?? 0,
        live: live?.live ?? null,
        /** How the last finished job ended (kind, outcome, time). */
        lastJob: live?.lastJob ?? null,
      },
    })
  })
  .get('/:id/logs', validate('query', LogsQuery), async (c) => {
    const row = await loadRow(c, c.req.param('id'))
    const { after, limit } = c.req.valid('query')
    const lines = await deploymentStub(c.env, row.id).readLogs(after, limit)
    return c.json({ lines, nextAfter: lines.at(-1)?.seq ?? after })
  })
  .get('/:id/events', async (c) => {
    const row = await loadRow(c, c.req.param('id'))
    requireWebSocketUpgrade(c)
    const url = new URL('https://deployment/events')
    url.searchParams.set('after', c.req.query('after') ?? '0')
    // The socket outlives the request: the deployment closes it when the session expires, when
    // signing out tells it so (session_sockets), and re-checks the session now and then.
    const user = c.get('user')
    await recordSocket(c, user.sessionId, row.id)
    url.searchParams.set('session', user.sessionId)
    url.searchParams.set('expires', String(user.sessionExpiresAt))
    return mutable(await deploymentStub(c.env, row.id).fetch(new Request(url, c.req.raw)))
  })
  .post('/:id/cancel', async (c) => {
    const row = await loadRow(c, c.req.param('id'))
    const result = await deploymentStub(c.env, row.id).requestCancel(c.get('user').username)
    refused(result)
    await audit(c, 'deployment.cancel_requested', { target: row.id })
    return c.json({ deployment: rowView(await loadRow(c, row.id)) })
  })
  .post('/:id/retry', async (c) => {
    const row = await loadRow(c, c.req.param('id'))
    const jobId = crypto.randomUUID()
    const result = await deploymentStub(c.env, row.id).requestRetry(jobId)
    refused(result)
    const kind = (result.ok && result.kind) || 'deploy'
    // A retried change takes its own snapshot (the Snapshots card names the change by it).
    const details = kind === 'change' ? { snapshot: snapshotName(jobId) } : undefined
    await enqueue(c, row.id, jobId, kind, 'deployment.retry_requested', details)
    return c.json({ deployment: rowView(await loadRow(c, row.id)) })
  })
  /** Destroy the VM; its backups are kept unless `deleteBackups` (protected ones always are). */
  .post('/:id/destroy', validate('json', DestroyBody), async (c) => {
    const row = await loadRow(c, c.req.param('id'))
    const { deleteBackups } = c.req.valid('json')
    const jobId = crypto.randomUUID()
    const result = await deploymentStub(c.env, row.id).requestDestroy(jobId, deleteBackups)
    refused(result)
    await enqueue(c, row.id, jobId, 'destroy', 'deployment.destroy_requested', { deleteBackups })
    return c.json({ deployment: rowView(await loadRow(c, row.id)) })
  })
  .post('/:id/start', powerRoute('start'))
  .post('/:id/stop', powerRoute('stop'))
  .post('/:id/restart', powerRoute('restart'))
