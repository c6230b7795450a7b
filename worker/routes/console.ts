import { Hono } from 'hono'
import * as z from 'zod'
import {
  CONSOLE_COMMAND_MAX,
  ConsoleRequest,
  consoleCommandOf,
  SERVER_LOG_LINES_DEFAULT,
  SERVER_LOG_LINES_MAX,
} from '../../core/console'
import { getGame, QUICK_ACTIONS } from '../../core/games'
import type { AppContext, AppEnv } from '../env'
import { storedInputs, type DeploymentRow } from '../db/deployments'
import { hubStub } from '../do/stubs'
import { audit } from '../http/audit'
import { ApiError } from '../http/errors'
import { mutable } from '../http/response'
import { recordSocket } from '../http/sessions'
import { validate } from '../http/validate'
import { requireWebSocketUpgrade } from '../http/websocket'
import { loadRow } from './deployments'

const ServerLogQuery = z.object({
  lines: z.coerce.number().int().min(0).max(SERVER_LOG_LINES_MAX).default(SERVER_LOG_LINES_DEFAULT),
})

/** Why a deployment's console cannot be used now, or null when it can. */
function consoleUnavailable(row: DeploymentRow): { code: string; message: string } | null {
  const game = getGame(row.game)
  if (!game?.console) {
    return { code: 'no_console', message: `${game?.name ?? row.game} has no console.` }
  }
  const config = game.configSchema.safeParse(storedInputs(row).spec.gameConfig)
  if (!config.success || !game.console.endpoint(config.data)) {
    return {
      code: 'console_off',
      message: 'This server was deployed with its console (RCON) switched off.',
    }
  }
  if (row.status !== 'ready') return notReady(row)
  return null
}

function notReady(row: DeploymentRow) {
  return { code: 'not_ready', message: `The deployment is ${row.status}, not ready.` }
}

async function readyRow(c: AppContext): Promise<DeploymentRow> {
  const row = await loadRow(c, c.req.param('id') ?? '')
  if (row.status !== 'ready') {
    const { code, message } = notReady(row)
    throw new ApiError(409, code, message)
  }
  return row
}

/**
 * A ready deployment's game console (type a command, see the answer; quick actions) and its
 * server log (the game's journal on the VM, live). Both go through a runner, chosen and talked to
 * by the RunnerHub; the console's password never comes out of it.
 */
export const consoleRoutes = new Hono<AppEnv>()
  /** Whether the console can be used, why not, and the recent commands with their answers. */
  .get('/:id/console', async (c) => {
    const row = await loadRow(c, c.req.param('id'))
    const unavailable = consoleUnavailable(row)
    const history = getGame(row.game)?.console ? await hubStub(c.env).consoleHistory(row.id) : []
    return c.json({
      available: unavailable === null,
      unavailable,
      quickActions: unavailable?.code === 'no_console' ? [] : QUICK_ACTIONS,
      commandMax: CONSOLE_COMMAND_MAX,
      history,
    })
  })
  /**
   * One command: the free command line, or a quick action whose argument is checked here. The
   * game's answer — or why there is none (no runner, the console refused or silent) — is a 200
   * with the history entry: the command was handled, the game's side is in the entry.
   */
  .post('/:id/console', validate('json', ConsoleRequest), async (c) => {
    const row = await readyRow(c)
    const unavailable = consoleUnavailable(row)
    if (unavailable) throw new ApiError(409, unavailable.code, unavailable.message)
    const game = getGame(row.game)
    if (!game) throw new ApiError(409, 'no_console', `${row.game} has no console.`)
    const request = c.req.valid('json')
    const built = consoleCommandOf(game, request)
    if (!built.ok) {
      throw new ApiError(400, 'invalid_request', built.message, {
        details: [{ path: built.field, message: built.message }],
      })
    }
    const entry = await hubStub(c.env).consoleCommand(row.id, built.command, c.get('user').username)
    await audit(c, 'deployment.console_command', {
      target: row.id,
      details: {
        command: built.command,
        ...('action' in request ? { action: request.action } : {}),
        outcome: entry.error ? entry.error.code : 'answered',
      },
    })
    return c.json({ entry })
  })
  /**
   * The server log, live: a websocket on which the hub relays the journal lines a runner reads
   * over SSH (the last `lines` first), until either side closes.
   */
  .get('/:id/server-log', validate('query', ServerLogQuery), async (c) => {
    const row = await readyRow(c)
    requireWebSocketUpgrade(c)
    const url = new URL('https://hub/server-log')
    url.searchParams.set('deploymentId', row.id)
    url.searchParams.set('lines', String(c.req.valid('query').lines))
    // Like the deployment's events: the socket closes when the session ends or is signed out.
    const user = c.get('user')
    await recordSocket(c, user.sessionId, row.id)
    url.searchParams.set('session', user.sessionId)
    url.searchParams.set('expires', String(user.sessionExpiresAt))
    await audit(c, 'deployment.server_log_opened', { target: row.id })
    return mutable(await hubStub(c.env).fetch(new Request(url, c.req.raw)))
  })
