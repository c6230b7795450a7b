import { DurableObject } from 'cloudflare:workers'
import { assertNever } from '../../core/assert'
import type { OrphanVm } from '../../core/deployment-api'
import {
  CLOSE,
  HEARTBEAT_PING,
  HEARTBEAT_PONG,
  parseFrame,
  RunnerToServer,
  type ConnectionCheck,
} from '../../core/protocol'
import type { ProxmoxConnection } from '../../core/settings'
import { recordHello, recordLastSeen } from '../db/runners'
import { reciprocateClose } from '../http/websocket'
import { Dispatcher } from './hub/dispatch'
import { Orphans, type OrphanDestroyResult } from './hub/orphans'
import {
  RunnerRequests,
  type BackupChange,
  type BackupsAnswer,
  type SnapshotsAnswer,
  type CapacityAnswer,
} from './hub/requests'
import { revokeRunner } from './hub/revoke'
import {
  logRefused,
  RunnerSockets,
  type RunnerAttachment,
  type RunnerLiveStatus,
} from './hub/sockets'
import { heartbeatIntervalMs, offlineAfterMs } from './hub/timing'
import { WatchLists } from './hub/watch'
import { ConsoleRequests } from './hub/console'
import { ServerLogs } from './hub/server-log'
import type { ConsoleEntry } from '../../core/console'
import { encodeHubToRunner } from '../../core/protocol'
import { runnerAlert } from '../alerts/runner'

/**
 * The one hub of the runners' control sockets: it turns their frames and the worker's calls into
 * work for its parts — the dispatcher (jobs from the D1 queue), the watch lists (live status and
 * the sweep), the orphan list, the requests waiting for a runner's reply, revocation. Nothing
 * load-bearing lives in memory; sockets hibernate, and their attachments say who is on them.
 */
export class RunnerHub extends DurableObject<Env> {
  private readonly sockets: RunnerSockets
  private readonly dispatcher: Dispatcher
  private readonly watch: WatchLists
  private readonly requests: RunnerRequests
  private readonly orphanList: Orphans
  private readonly consoles: ConsoleRequests
  private readonly serverLogs: ServerLogs

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(HEARTBEAT_PING, HEARTBEAT_PONG))
    this.sockets = new RunnerSockets(ctx, offlineAfterMs(env))
    this.dispatcher = new Dispatcher(env, this.sockets)
    this.watch = new WatchLists(ctx, env, this.sockets)
    this.requests = new RunnerRequests(this.sockets)
    this.orphanList = new Orphans(ctx, env, this.sockets, this.requests)
    this.consoles = new ConsoleRequests(ctx, env, this.sockets, this.requests)
    this.serverLogs = new ServerLogs(ctx, env, this.sockets)
  }

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('expected a websocket', { status: 426 })
    }
    const url = new URL(request.url)
    if (url.pathname === '/server-log') {
      const param = (name: string) => url.searchParams.get(name) ?? ''
      return this.serverLogs.open(param('deploymentId'), Number(param('lines')), {
        id: param('session'),
        expiresAt: Number(param('expires')),
      })
    }
    const runnerId = url.searchParams.get('runnerId') ?? ''
    const name = url.searchParams.get('name') ?? runnerId
    const webSocket = this.sockets.accept(runnerId, name)
    await this.armSilenceCheck()
    return new Response(null, { status: 101, webSocket })
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // A server log socket only listens: whatever a dashboard sends on it is ignored.
    if (ServerLogs.viewerOf(ws)) return
    const att = this.sockets.identity(ws)
    if (!att) return
    const parsed = parseFrame(RunnerToServer, message)
    if (!parsed.ok) {
      console.warn(
        JSON.stringify({
          level: 'warn',
          socket: 'runner-control',
          runner: att.runnerId,
          error: parsed.error,
        }),
      )
      ws.close(CLOSE.BAD_FRAME, parsed.error.slice(0, 120))
      return
    }
    this.sockets.heard(ws)
    const msg = parsed.frame
    switch (msg.type) {
      case 'hello': {
        this.sockets.helloReceived(ws, att, { maxJobs: msg.maxJobs, version: msg.version })
        await recordHello(this.env.DB, att.runnerId, {
          version: msg.version,
          sshPublicKey: msg.sshPublicKey,
          maxJobs: msg.maxJobs,
          at: Date.now(),
        })
        ws.send(
          encodeHubToRunner({
            type: 'welcome',
            runnerId: att.runnerId,
            heartbeatIntervalMs: heartbeatIntervalMs(this.env),
          }),
        )
        this.ctx.waitUntil(runnerAlert(this.env, 'back', att))
        await this.dispatcher.resumeLeased(ws, att.runnerId, msg.activeJobs)
        await this.dispatcher.dispatch()
        // Watch lists are balanced over the online runners: a new one changes everyone's.
        await this.watch.refresh()
        return
      }
      case 'test.result':
        this.requests.reply(att.runnerId, msg.requestId, msg.checks)
        return
      case 'capacity.result':
        this.requests.capacityReply(att, msg.requestId, msg)
        return
      case 'status.report':
        await this.watch.statusReported(att.runnerId, msg.statuses)
        return
      case 'sweep.report':
        if (!(await this.watch.sweeps(att.runnerId))) {
          logRefused(att.runnerId, 'sweep.report', 'not asked to sweep', { vms: msg.vms.length })
          return
        }
        await this.orphanList.sweepReported(msg.vms, msg.at)
        return
      case 'backups.result':
        this.requests.reply(att.runnerId, msg.requestId, {
          backups: msg.backups,
          error: msg.error,
        })
        return
      case 'snapshots.result':
        this.requests.reply(att.runnerId, msg.requestId, {
          snapshots: msg.snapshots,
          error: msg.error,
        })
        return
      case 'vm.destroy.result':
        this.requests.reply(att.runnerId, msg.requestId, { ok: msg.ok, message: msg.message })
        return
      case 'console.result':
        this.requests.reply(att.runnerId, msg.requestId, { answer: msg.answer, error: msg.error })
        return
      case 'journal.lines':
        this.serverLogs.lines(att.runnerId, msg.streamId, msg.lines)
        return
      case 'journal.end':
        this.serverLogs.ended(att.runnerId, msg.streamId, msg.error)
        return
      default:
        assertNever(msg)
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    const viewer = ServerLogs.viewerOf(ws)
    if (viewer) {
      this.serverLogs.viewerClosed(viewer)
      return reciprocateClose(ws, code, reason)
    }
    const att = this.sockets.identity(ws)
    reciprocateClose(ws, code, reason)
    if (att) await this.runnerLeft(ws, att)
  }

  /** A runner's control socket closed, or was closed for its silence. */
  private async runnerLeft(ws: WebSocket, att: RunnerAttachment): Promise<void> {
    this.serverLogs.runnerGone(att.runnerId)
    await recordLastSeen(this.env.DB, att.runnerId, this.sockets.lastSeen(ws, att))
    // A socket replaced by the runner's newer one is not the runner going away.
    if (!this.sockets.of(att.runnerId).some((o) => o !== ws && o.readyState === WebSocket.OPEN))
      this.ctx.waitUntil(runnerAlert(this.env, 'gone', att))
  }

  override async alarm(): Promise<void> {
    // Runners gone silent without closing (a frozen host, a network dropping packets): the
    // runtime keeps such sockets open, so the hub closes them and the runner counts as gone.
    for (const { ws, att } of this.sockets.silent(Date.now())) {
      try {
        ws.close(CLOSE.SILENT, 'no heartbeat')
      } catch {
        // Already closing.
      }
      await this.runnerLeft(ws, att)
    }
    if (await this.watch.takeDue()) await this.watch.refresh()
    await this.armSilenceCheck()
  }

  /** The alarm comes back when the quietest connected runner would turn silent. */
  private async armSilenceCheck(): Promise<void> {
    const next = this.sockets.nextSilence()
    if (next === null) return
    const at = Math.max(next, Date.now() + 1_000)
    const current = await this.ctx.storage.getAlarm()
    if (current === null || current > at) await this.ctx.storage.setAlarm(at)
  }

  // ------------------------------------------------------------------ RPC from the worker and the deployments

  /** Lease queued jobs to online runners with free slots (see Dispatcher). */
  async dispatch(): Promise<void> {
    return this.dispatcher.dispatch()
  }

  /** Tell the runner holding `jobId` to stop it (also sent on the job socket, if open). */
  async cancelJob(jobId: string, runnerId: string): Promise<void> {
    this.dispatcher.cancelJob(jobId, runnerId)
  }

  /** A deployment entered or left a watched status: the watch lists follow shortly. */
  async watchChanged(): Promise<void> {
    return this.watch.changed()
  }

  /** Send every online runner its watch list now. */
  async refreshWatch(): Promise<void> {
    return this.watch.refresh()
  }

  /** What the last sweep found. */
  async orphans(): Promise<{
    orphans: OrphanVm[]
    sweptAt: number | null
    sweepIntervalMs: number
  }> {
    return this.orphanList.list()
  }

  /** Destroy an orphan the last sweep reported, on an online runner. */
  async destroyOrphan(vmid: number): Promise<OrphanDestroyResult> {
    return this.orphanList.destroy(vmid)
  }

  /** Close a revoked runner's sockets, re-queue its jobs and move its watch list. */
  async revoke(runnerId: string): Promise<void> {
    return revokeRunner(this.env, this.sockets, this.watch, runnerId)
  }

  /** Live state of every connected runner, by id. */
  status(): Record<string, RunnerLiveStatus> {
    return this.sockets.status()
  }

  /** Run "test connection" on an online runner; null when none is online. */
  async testConnection(
    proxmox: ProxmoxConnection,
  ): Promise<{ runnerId: string; name: string; checks: ConnectionCheck[] } | null> {
    return this.requests.testConnection(proxmox)
  }

  /** A deployment's backups, from an online runner, after `change` (delete or protect one). */
  async backups(
    proxmox: ProxmoxConnection,
    deploymentId: string,
    change?: BackupChange,
  ): Promise<BackupsAnswer> {
    return this.requests.backups(proxmox, deploymentId, change)
  }

  /** A deployment's VM snapshots, from an online runner, after deleting `remove` if given. */
  async snapshots(
    proxmox: ProxmoxConnection,
    deploymentId: string,
    remove?: string,
  ): Promise<SnapshotsAnswer> {
    return this.requests.snapshots(proxmox, deploymentId, remove)
  }

  /** Send a command to a deployment's game console through a runner; kept in its history. */
  async consoleCommand(deploymentId: string, command: string, by: string): Promise<ConsoleEntry> {
    return this.consoles.run(deploymentId, command, by)
  }

  /** These sessions ended: the server logs they watched close now. */
  async sessionsEnded(sessionIds: string[]): Promise<void> {
    this.serverLogs.sessionsEnded(sessionIds)
  }

  /** A deployment's recent console commands and their answers, oldest first. */
  async consoleHistory(deploymentId: string): Promise<ConsoleEntry[]> {
    return this.consoles.history(deploymentId)
  }

  /** The node's free memory and the storage's free space, from an online runner (cached briefly). */
  async capacity(proxmox: ProxmoxConnection): Promise<CapacityAnswer> {
    return this.requests.capacity(proxmox)
  }
}
