import { CLOSE } from '../../../core/protocol'

/**
 * Who is on a runner's control socket, kept in its attachment so it survives hibernation: the
 * runner, and what it declared in its hello (null until then: only then does it get work).
 * Written when the socket opens and once more at hello; nothing per message.
 */
export interface RunnerAttachment {
  runnerId: string
  name: string
  connectedAt: number
  hello: { maxJobs: number; version: string } | null
}

/** What the dashboard shows of a connected runner. */
export interface RunnerLiveStatus {
  online: boolean
  connectedAt: number
  lastSeenAt: number
  version: string | null
}

/** An online runner that said hello, with its socket. */
export interface ReadyRunner {
  ws: WebSocket
  att: RunnerAttachment & { hello: NonNullable<RunnerAttachment['hello']> }
}

/**
 * The runners' control sockets (hibernation API), tagged `runner` and `runner:<id>`. Liveness
 * comes from the runtime's auto-response timestamp (the runner pings every
 * HEARTBEAT_INTERVAL_MS, answered without waking the hub) and from the last frame seen since
 * the hub woke, which only this instance's memory holds: after an eviction the pings carry it.
 */
export class RunnerSockets {
  private readonly lastMessageAt = new WeakMap<WebSocket, number>()

  constructor(
    private readonly ctx: DurableObjectState,
    /** Silence after which a runner counts as offline (three heartbeat intervals). */
    private readonly offlineAfterMs: number,
  ) {}

  /** Accept a runner's socket; a reconnect of the same runner replaces its stale session. */
  accept(runnerId: string, name: string): WebSocket {
    for (const old of this.of(runnerId)) old.close(CLOSE.REPLACED, 'replaced by a newer connection')
    const pair = new WebSocketPair()
    this.ctx.acceptWebSocket(pair[1], ['runner', `runner:${runnerId}`])
    pair[1].serializeAttachment({
      runnerId,
      name,
      connectedAt: Date.now(),
      hello: null,
    } satisfies RunnerAttachment)
    return pair[0]
  }

  /** Every runner socket, or one runner's. */
  of(runnerId?: string): WebSocket[] {
    return this.ctx.getWebSockets(runnerId ? `runner:${runnerId}` : 'runner')
  }

  /** Who is on this socket; null for a socket that is not a runner's. */
  identity(ws: WebSocket): RunnerAttachment | null {
    return ws.deserializeAttachment() as RunnerAttachment | null
  }

  /** A frame arrived on the socket: the runner is alive now. */
  heard(ws: WebSocket): void {
    this.lastMessageAt.set(ws, Date.now())
  }

  /** The runner said hello: it may get work from now on. */
  helloReceived(ws: WebSocket, att: RunnerAttachment, hello: RunnerAttachment['hello']): void {
    att.hello = hello
    ws.serializeAttachment(att)
  }

  /** When the runner on this socket was last heard from (a frame or a ping). */
  lastSeen(ws: WebSocket, att: RunnerAttachment): number {
    return Math.max(
      this.lastMessageAt.get(ws) ?? att.connectedAt,
      this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0,
    )
  }

  /** Online runners that said hello. */
  ready(): ReadyRunner[] {
    const now = Date.now()
    const out: ReadyRunner[] = []
    for (const ws of this.of()) {
      // A replaced or closing socket may still be listed until its close completes.
      if (ws.readyState !== WebSocket.OPEN) continue
      const att = this.identity(ws)
      if (att?.hello && now - this.lastSeen(ws, att) < this.offlineAfterMs)
        out.push({ ws, att: { ...att, hello: att.hello } })
    }
    return out
  }

  /**
   * Open runner sockets on which nothing came for the offline delay (a frozen host, a network
   * that drops packets without closing the connection): the runtime would keep them open.
   */
  silent(now: number): { ws: WebSocket; att: RunnerAttachment }[] {
    const out: { ws: WebSocket; att: RunnerAttachment }[] = []
    for (const ws of this.of()) {
      if (ws.readyState !== WebSocket.OPEN) continue
      const att = this.identity(ws)
      if (att && now - this.lastSeen(ws, att) >= this.offlineAfterMs) out.push({ ws, att })
    }
    return out
  }

  /** When the quietest open runner socket turns silent, or null with no runner connected. */
  nextSilence(): number | null {
    let next: number | null = null
    for (const ws of this.of()) {
      if (ws.readyState !== WebSocket.OPEN) continue
      const att = this.identity(ws)
      if (!att) continue
      const at = this.lastSeen(ws, att) + this.offlineAfterMs
      if (next === null || at < next) next = at
    }
    return next
  }

  /** Live state of every connected runner, by id. */
  status(): Record<string, RunnerLiveStatus> {
    const now = Date.now()
    const out: Record<string, RunnerLiveStatus> = {}
    for (const ws of this.of()) {
      const att = this.identity(ws)
      if (!att) continue
      const lastSeenAt = this.lastSeen(ws, att)
      out[att.runnerId] = {
        online: now - lastSeenAt < this.offlineAfterMs,
        connectedAt: att.connectedAt,
        lastSeenAt,
        version: att.hello?.version ?? null,
      }
    }
    return out
  }
}

/**
 * A frame outside what this runner was given: not acted on, and logged. The socket stays open,
 * as a report can cross a newer watch list on the wire (the list changed while a round ran); a
 * frame that breaks the protocol itself is what closes it (1008).
 */
export function logRefused(
  runnerId: string,
  frame: string,
  reason: string,
  details: Record<string, unknown>,
): void {
  console.warn(
    JSON.stringify({
      level: 'warn',
      socket: 'runner-control',
      runner: runnerId,
      refused: frame,
      reason,
      ...details,
    }),
  )
}
