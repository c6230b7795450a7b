import { getGame } from '../../../core/games'
import type { ArtifactRequest, GameModule, HealthCheck } from '../../../core/games/types'
import type { LiveStatus, WatchTarget } from '../../../core/protocol'
import { storedInputs, watchedDeployments } from '../../db/deployments'
import { openInputs } from '../../lib/game-secrets'
import { loadProxmoxConnection } from '../../settings/proxmox'
import { deploymentStub } from '../stubs'
import { encodeHubToRunner } from '../../../core/protocol'
import { logRefused, type RunnerSockets } from './sockets'
import { coalesced, statusIntervalMs, sweepIntervalMs } from './timing'

/** How long the hub waits after a watched-status change before it sends the watch lists. */
const WATCH_DEBOUNCE_MS = 500
/** The most deployments watched at once. */
const WATCHED_MAX = 1_000

/**
 * What each runner was given by the last watch round, kept in the hub's storage: the deployments
 * whose status it may report, and whether it may send a sweep. A report outside it is refused.
 */
type WatchAssignments = Record<string, { deploymentIds: string[]; sweeps: boolean }>
const ASSIGNMENTS_KEY = 'watch-assignments'
const WATCH_DUE_KEY = 'watch-due'

/** A watched deployment with its whole config (sensitive fields opened by the caller). */
export interface WatchedDeployment {
  target: WatchTarget
  runnerId: string | null
}

/**
 * The game's health check for a stored config, sent as plain data so the runner's watch path
 * loads no game module and gets no game config (nor its secrets); null when the game is unknown
 * or its stored config no longer validates (the runner reports that as the game's error).
 */
export function healthCheckOf(
  game: GameModule | undefined,
  gameConfig: Record<string, unknown>,
): HealthCheck | null {
  const parsed = game?.configSchema.safeParse(gameConfig)
  return game && parsed?.success ? game.healthCheck(parsed.data) : null
}

/**
 * The release channel a runner looks for updates on: the game's artifact request when the
 * config follows `latest`; undefined for a pinned version (it stays pinned) or no versions.
 */
export function channelOf(
  game: GameModule | undefined,
  gameConfig: Record<string, unknown>,
): ArtifactRequest | undefined {
  const parsed = game?.configSchema.safeParse(gameConfig)
  const request = game && parsed?.success ? game.artifact(parsed.data) : null
  return request && request.version === 'latest' ? request : undefined
}

/**
 * Each watched deployment goes to the runner that last ran its jobs when it is online (it is on
 * the right network), else to the first online runner; one runner (the first) also sweeps.
 */
export function assignWatch(
  watched: readonly WatchedDeployment[],
  online: readonly string[],
): Map<string, { targets: WatchTarget[]; sweeps: boolean }> {
  const sorted = [...online].sort()
  const out = new Map(
    sorted.map((id, i) => [id, { targets: [] as WatchTarget[], sweeps: i === 0 }]),
  )
  const fallback = sorted[0]
  if (fallback === undefined) return out
  for (const w of watched) {
    const runner = w.runnerId && out.has(w.runnerId) ? w.runnerId : fallback
    out.get(runner)?.targets.push(w.target)
  }
  return out
}

/**
 * The runners' watch lists: which ready and stopped deployments each refreshes the live status
 * of, and which one sweeps the node. The Proxmox token goes only with such work.
 */
export class WatchLists {
  constructor(
    private readonly ctx: DurableObjectState,
    private readonly env: Env,
    private readonly sockets: RunnerSockets,
  ) {}

  private async assignments(): Promise<WatchAssignments> {
    return (await this.ctx.storage.get<WatchAssignments>(ASSIGNMENTS_KEY)) ?? {}
  }

  /** Whether the last round asked this runner to sweep. */
  async sweeps(runnerId: string): Promise<boolean> {
    return (await this.assignments())[runnerId]?.sweeps ?? false
  }

  /**
   * Store a runner's live-status report, for the deployments on its watch list only: a runner
   * key must not be able to write the live status of deployments it was never asked about.
   */
  async statusReported(
    runnerId: string,
    statuses: readonly { deploymentId: string; status: LiveStatus }[],
  ): Promise<void> {
    const mine = new Set((await this.assignments())[runnerId]?.deploymentIds)
    const accepted = statuses.filter((s) => mine.has(s.deploymentId))
    if (accepted.length < statuses.length) {
      logRefused(runnerId, 'status.report', 'not on its watch list', {
        deployments: statuses
          .filter((s) => !mine.has(s.deploymentId))
          .map((s) => s.deploymentId)
          .slice(0, 20),
      })
    }
    await Promise.all(
      accepted.map(({ deploymentId, status }) =>
        deploymentStub(this.env, deploymentId).liveStatus(status),
      ),
    )
  }

  /**
   * A deployment entered or left a watched status. The lists are sent a little later, once for a
   * burst (fifty deployments turning ready at once), from the alarm: never on the path of a job.
   */
  async changed(): Promise<void> {
    const at = Date.now() + WATCH_DEBOUNCE_MS
    await this.ctx.storage.put(WATCH_DUE_KEY, true)
    const current = await this.ctx.storage.getAlarm()
    if (current === null || current > at) await this.ctx.storage.setAlarm(at)
  }

  /** Whether a change asked for a round since the last alarm (the alarm also checks liveness). */
  async takeDue(): Promise<boolean> {
    const due = (await this.ctx.storage.get<boolean>(WATCH_DUE_KEY)) ?? false
    if (due) await this.ctx.storage.delete(WATCH_DUE_KEY)
    return due
  }

  /** A runner is gone for good: its list goes to the others at the next round. */
  async drop(runnerId: string): Promise<void> {
    const assignments = await this.assignments()
    if (!assignments[runnerId]) return
    delete assignments[runnerId]
    await this.ctx.storage.put(ASSIGNMENTS_KEY, assignments)
    await this.changed()
  }

  /**
   * Send every online runner its watch list: the ready and stopped deployments it refreshes the
   * live status of, and whether it sweeps. Called on hello and from the alarm. Calls during a
   * round make one more round, not one each.
   */
  readonly refresh = coalesced(() => this.sendLists())

  /** Every watched deployment, its sealed fields opened for games that have some. */
  private async watched(): Promise<WatchedDeployment[]> {
    const rows = await watchedDeployments(this.env.DB, WATCHED_MAX)
    return Promise.all(
      rows.map(async (row) => {
        const inputs = storedInputs(row)
        const game = getGame(row.game)
        // Sealed fields are opened only for games that have some (the config must validate).
        const gameConfig = game?.sensitiveFields?.length
          ? (await openInputs(this.env, row.game, inputs)).gameConfig
          : inputs.spec.gameConfig
        const channel = channelOf(game, gameConfig)
        return {
          runnerId: row.runnerId,
          target: {
            deploymentId: row.id,
            vmid: row.vmid,
            ipAddress: row.ip,
            game: row.game,
            check: healthCheckOf(game, gameConfig),
            ...(channel ? { channel } : {}),
          },
        }
      }),
    )
  }

  private async sendLists(): Promise<void> {
    const runners = this.sockets.ready()
    if (runners.length === 0) return
    const proxmox = await loadProxmoxConnection(this.env).catch(() => null)
    if (!proxmox) return
    const before = await this.assignments()
    const plan = assignWatch(
      await this.watched(),
      runners.map((r) => r.att.runnerId),
    )
    const statusEveryMs = statusIntervalMs(this.env)
    const sweepEveryMs = sweepIntervalMs(this.env)
    const sends: { ws: WebSocket; text: string }[] = []
    const assignments: WatchAssignments = {}
    for (const { ws, att } of runners) {
      const mine = plan.get(att.runnerId)
      if (!mine) continue
      const sweeps = mine.sweeps && sweepEveryMs > 0
      const busy = mine.targets.length > 0 || sweeps
      if (busy) {
        assignments[att.runnerId] = {
          deploymentIds: mine.targets.map((t) => t.deploymentId),
          sweeps,
        }
      }
      // The token goes only with work that needs it. A runner with nothing to do gets no frame,
      // unless it had work before: then an empty list tells it to stop and drop the token.
      if (!busy && !before[att.runnerId]) continue
      sends.push({
        ws,
        text: encodeHubToRunner({
          type: 'watch',
          proxmox: busy ? proxmox : null,
          statusIntervalMs: statusEveryMs,
          sweepIntervalMs: sweeps ? sweepEveryMs : 0,
          targets: mine.targets,
        }),
      })
    }
    // Stored before the lists go out, so the first report on a new list is not refused.
    await this.ctx.storage.put(ASSIGNMENTS_KEY, assignments)
    for (const { ws, text } of sends) {
      try {
        ws.send(text)
      } catch {
        // Closing: the next hello sends a fresh list.
      }
    }
  }
}
