import {
  encodeHubToRunner,
  encodeServerLog,
  type JournalTarget,
  type ServerLogEndCode,
} from '../../../core/protocol'
import { getGame } from '../../../core/games'
import { deploymentById, storedInputs } from '../../db/deployments'
import { loadProxmoxConnection } from '../../settings/proxmox'
import { deploymentStub } from '../stubs'
import { runnerFor } from './console'
import { logRefused, type RunnerSockets } from './sockets'

/** Dashboards following one deployment's server log at once, at most (one SSH session each). */
export const MAX_LOG_VIEWERS = 4

/** Who is on a server log socket: the stream it shows and the runner that reads it. */
export interface ViewerAttachment {
  viewer: true
  streamId: string
  deploymentId: string
  runnerId: string
  /** The dashboard's session, and when it expires: the stream ends with it. */
  sessionId: string
  expiresAt: number
}

/**
 * The server log sockets of the dashboards: each one is a journal stream on a runner (`ssh …
 * journalctl -f` on the VM), opened with the socket and closed with it, so the runner's SSH
 * session lasts exactly as long as someone watches. Sockets are tagged `viewer`,
 * `viewer:<stream>` and `viewer-of:<deployment>`; their attachments survive hibernation.
 */
export class ServerLogs {
  constructor(
    private readonly ctx: DurableObjectState,
    private readonly env: Env,
    private readonly sockets: RunnerSockets,
  ) {}

  /** The viewer on this socket, or null for a runner's socket. */
  static viewerOf(ws: WebSocket): ViewerAttachment | null {
    const att = ws.deserializeAttachment() as Partial<ViewerAttachment> | null
    return att?.viewer === true ? (att as ViewerAttachment) : null
  }

  /** A dashboard opens the server log of `deploymentId`, the last `lines` first. */
  async open(
    deploymentId: string,
    lines: number,
    session: { id: string; expiresAt: number },
  ): Promise<Response> {
    const pair = new WebSocketPair()
    const [client, server] = [pair[0], pair[1]]
    const refuse = (code: ServerLogEndCode, message: string) => {
      server.accept()
      server.send(encodeServerLog({ type: 'end', code, message }))
      server.close(1000, code)
      return new Response(null, { status: 101, webSocket: client })
    }
    if (this.ctx.getWebSockets(`viewer-of:${deploymentId}`).length >= MAX_LOG_VIEWERS) {
      return refuse('closed', `At most ${MAX_LOG_VIEWERS} dashboards follow a server log at once.`)
    }
    const target = await this.targetOf(deploymentId, lines)
    if ('error' in target) return refuse('ssh_failed', target.error)
    const runner = runnerFor(this.sockets, target.lastRunnerId)
    if (!runner) return refuse('no_runner', 'No runner is online to read the server log.')
    const streamId = crypto.randomUUID()
    try {
      runner.ws.send(encodeHubToRunner({ type: 'journal.open', streamId, target: target.journal }))
    } catch {
      return refuse('no_runner', 'No runner is online to read the server log.')
    }
    this.ctx.acceptWebSocket(server, [
      'viewer',
      `viewer:${streamId}`,
      `viewer-of:${deploymentId}`,
      `viewer-session:${session.id}`,
    ])
    server.serializeAttachment({
      viewer: true,
      streamId,
      deploymentId,
      runnerId: runner.att.runnerId,
      sessionId: session.id,
      expiresAt: session.expiresAt,
    } satisfies ViewerAttachment)
    return new Response(null, { status: 101, webSocket: client })
  }

  /** Lines a runner read: to the one socket of their stream. */
  lines(runnerId: string, streamId: string, lines: string[]): void {
    const ws = this.viewer(runnerId, streamId)
    if (!ws) return
    if ((ServerLogs.viewerOf(ws)?.expiresAt ?? 0) < Date.now()) return this.endSession(ws)
    send(ws, encodeServerLog({ type: 'lines', lines }))
  }

  /** These sessions ended (signed out, replaced at sign-in): their server logs close now. */
  sessionsEnded(sessionIds: readonly string[]): void {
    for (const id of sessionIds) {
      for (const ws of this.ctx.getWebSockets(`viewer-session:${id}`)) this.endSession(ws)
    }
  }

  private endSession(ws: WebSocket): void {
    send(ws, encodeServerLog({ type: 'end', code: 'closed', message: 'The session ended.' }))
    closeQuietly(ws, 1000, 'session ended')
  }

  /** The runner's SSH session ended: the viewer is told why, and its socket closes. */
  ended(runnerId: string, streamId: string, error: string | undefined): void {
    const ws = this.viewer(runnerId, streamId)
    if (!ws) return
    const code: ServerLogEndCode = error ? 'ssh_failed' : 'closed'
    send(ws, encodeServerLog({ type: 'end', code, message: error ?? 'The server log ended.' }))
    closeQuietly(ws, 1000, code)
  }

  /** A viewer's socket closed: its runner ends the SSH session. */
  viewerClosed(att: ViewerAttachment): void {
    for (const ws of this.sockets.of(att.runnerId)) {
      send(ws, encodeHubToRunner({ type: 'journal.close', streamId: att.streamId }))
    }
  }

  /** A runner's control socket closed: the streams it read end. */
  runnerGone(runnerId: string): void {
    for (const ws of this.ctx.getWebSockets('viewer')) {
      if (ServerLogs.viewerOf(ws)?.runnerId !== runnerId) continue
      const message = 'The runner reading the server log went offline.'
      send(ws, encodeServerLog({ type: 'end', code: 'runner_gone', message }))
      closeQuietly(ws, 1000, 'runner_gone')
    }
  }

  private viewer(runnerId: string, streamId: string): WebSocket | null {
    const ws = this.ctx.getWebSockets(`viewer:${streamId}`)[0]
    if (!ws || ServerLogs.viewerOf(ws)?.runnerId !== runnerId) {
      logRefused(runnerId, 'journal', 'no such stream on this runner', { streamId })
      // Nobody watches it (the viewer left while the frame was on its way): end the session.
      for (const r of this.sockets.of(runnerId))
        send(r, encodeHubToRunner({ type: 'journal.close', streamId }))
      return null
    }
    return ws
  }

  /** Where the runner finds the game's journal: the VM over SSH, as its deploy pinned it. */
  private async targetOf(
    deploymentId: string,
    lines: number,
  ): Promise<{ journal: JournalTarget; lastRunnerId: string | null } | { error: string }> {
    const row = await deploymentById(this.env.DB, deploymentId)
    if (!row) return { error: 'The deployment is gone.' }
    const { spec } = storedInputs(row)
    const game = getGame(spec.game)
    if (!game) return { error: `Unknown game ${spec.game}.` }
    const proxmox = await loadProxmoxConnection(this.env)
    if (!proxmox) return { error: 'The Proxmox connection is not configured.' }
    const hostKey = await deploymentStub(this.env, deploymentId).sshHostKey()
    if (!hostKey) return { error: 'The VM’s SSH host key was never pinned.' }
    return {
      lastRunnerId: row.runnerId,
      journal: {
        host: spec.ipAddress,
        port: proxmox.sshPort,
        user: proxmox.ciUser,
        hostKey,
        unit: game.serviceUnit,
        lines,
      },
    }
  }
}

function send(ws: WebSocket, text: string): void {
  try {
    ws.send(text)
  } catch {
    // Closed meanwhile.
  }
}

function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason)
  } catch {
    // Already closing.
  }
}
