import { Hono } from 'hono'
import { CreateDeployment, ListDeploymentsQuery, LogsQuery } from '../../core/deployment-api'
import { DeploymentStatus } from '../../core/deployment/status'
import { getGame, GAMES } from '../../core/games'
import { TEMPLATE_GAME } from '../../core/template'
import { effectiveScope } from '../../core/people'
import type { DeploymentSpec, JobKind, LiveStatus, PowerAction } from '../../core/protocol'
import type { AppContext, AppEnv } from '../env'
import { audit, auditEntry } from '../http/audit'
import { randomToken } from '../crypto/tokens'
import { sealInputs, viewConfig } from '../lib/game-secrets'
import { ApiError, notFound } from '../http/errors'
import { checkStaticAddress, freeAddresses } from '../settings/ip-pool'
import { batch } from '../db/client'
import {
  deploymentById,
  insertDeployment,
  isAddressTaken,
  listDeployments,
  type DeploymentRow,
  storedInputs,
  type StoredInputs,
} from '../db/deployments'
import { jobInsert } from '../db/jobs'
import { refuseIfNoRoom } from '../lib/capacity'
import { requireProxmoxSettings } from '../settings/proxmox'
import { recordSocket } from '../http/sessions'
import { deploymentStub, hubStub } from '../do/stubs'
import { mutable } from '../http/response'
import { invalid, validate } from '../http/validate'
import { requireWebSocketUpgrade } from '../http/websocket'

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
    /** The last live status (power, game) a runner reported; null before the first. */
    live: r.liveJson ? (JSON.parse(r.liveJson) as LiveStatus) : null,
  }
}

export async function loadRow(c: AppContext, id: string): Promise<DeploymentRow> {
  const row = await deploymentById(c.env.DB, id)
  if (!row) throw notFound('Deployment')
  return row
}

/**
 * Queue a job for the deployment with the audit row of the request that asked for it (one D1
 * round trip), and push it to a runner at once.
 */
export async function enqueue(
  c: AppContext,
  deploymentId: string,
  jobId: string,
  kind: JobKind,
  action: string,
  details?: unknown,
) {
  await batch(c.env.DB, [
    jobInsert(c.env.DB, deploymentId, jobId, kind),
    auditEntry(c, action, { target: deploymentId, details }),
  ])
  c.executionCtx.waitUntil(hubStub(c.env).dispatch())
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
    const settings = await requireProxmoxSettings(c.env)
    const sizing = game.sizing(config)
    await refuseIfNoRoom(c.env, sizing)
    const secrets: Record<string, string> = {}
    for (const s of game.secrets(config)) secrets[s.name] = randomToken(s.bytes)
    const id = crypto.randomUUID()
    const { publicConfig, gameSecretsEnc } = await sealInputs(
      c.env,
      id,
      game.id,
      config as Record<string, unknown>,
      secrets,
    )
    const jobId = crypto.randomUUID()
    const user = c.get('user')

    const exhausted = () =>
      new ApiError(
        409,
        'pool_exhausted',
        `No free address left in ${settings.ipPool.rangeStart}–${settings.ipPool.rangeEnd}: destroy a deployment or widen the pool in Settings.`,
      )
    if (body.network.mode === 'static') {
      checkStaticAddress(settings.ipPool, settings.gateway, body.network.ip)
    }
    /** Insert the row holding `ip`; null when another deployment took it first. */
    const claim = async (
      ip: string,
    ): Promise<{ spec: DeploymentSpec; row: DeploymentRow } | null> => {
      const candidate: DeploymentSpec = {
        deploymentId: id,
        name: body.name,
        game: game.id,
        gameConfig: publicConfig,
        cores: sizing.cores,
        memoryMiB: sizing.memoryMb,
        diskGiB: sizing.diskGb,
        ipAddress: ip,
        sshPublicKeys: body.sshPublicKeys,
      }
      const inputs: StoredInputs = { spec: candidate, gameSecretsEnc }
      try {
        const row = await insertDeployment(c.env.DB, {
          id,
          name: body.name,
          game: game.id,
          inputsJson: JSON.stringify(inputs),
          ip,
          createdBy: user.id,
        })
        return { spec: candidate, row }
      } catch (err) {
        if (isAddressTaken(err)) return null
        throw err
      }
    }
    let claimed: { spec: DeploymentSpec; row: DeploymentRow } | null = null
    if (body.network.mode === 'static') {
      claimed = await claim(body.network.ip)
      if (!claimed) {
        throw new ApiError(
          409,
          'address_in_use',
          `${body.network.ip} is already used by another deployment.`,
          {
            details: [{ path: 'network.ip', message: 'is already used by another deployment' }],
          },
        )
      }
    } else {
      // Concurrent creations race for the same lowest free addresses; the unique index decides
      // and the losers look again (bounded), so a burst of creations all get an address.
      const tried = new Set<string>()
      for (let round = 0; round < 20 && !claimed; round++) {
        const free = (await freeAddresses(c.env.DB, settings.ipPool, 8 + tried.size)).filter(
          (ip) => !tried.has(ip),
        )
        if (free.length === 0) throw exhausted()
        for (const ip of free) {
          tried.add(ip)
          claimed = await claim(ip)
          if (claimed) break
        }
      }
      if (!claimed) throw exhausted()
    }
    const { spec, row } = claimed
    // The DO exists before its job is queued, so a dispatcher never leases a job it cannot find.
    await deploymentStub(c.env, id).init(spec, jobId)
    await enqueue(c, id, jobId, 'deploy', 'deployment.created', {
      name: body.name,
      game: game.id,
      ip: spec.ipAddress,
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
    const rows = await listDeployments(c.env.DB, wanted?.data ?? null, limit, TEMPLATE_GAME, only)
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
    await enqueue(
      c,
      row.id,
      jobId,
      (result.ok && result.kind) || 'deploy',
      'deployment.retry_requested',
    )
    return c.json({ deployment: rowView(await loadRow(c, row.id)) })
  })
  .post('/:id/destroy', async (c) => {
    const row = await loadRow(c, c.req.param('id'))
    const jobId = crypto.randomUUID()
    const result = await deploymentStub(c.env, row.id).requestDestroy(jobId)
    refused(result)
    await enqueue(c, row.id, jobId, 'destroy', 'deployment.destroy_requested')
    return c.json({ deployment: rowView(await loadRow(c, row.id)) })
  })
  .post('/:id/start', powerRoute('start'))
  .post('/:id/stop', powerRoute('stop'))
  .post('/:id/restart', powerRoute('restart'))
