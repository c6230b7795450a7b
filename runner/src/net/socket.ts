import { CLOSE, HEARTBEAT_PING, HEARTBEAT_PONG } from '../../../core/protocol/constants'
import { Backoff } from './backoff'
import type { Logger } from '../logger'
import { WS_CLOSED, WS_OPEN, WsClient } from './ws-client'

/**
 * One outbound websocket that keeps itself alive: heartbeats, dead-peer detection, reconnect
 * with jittered exponential backoff, forever, until its owner closes it or the server says never
 * again (revoked, replaced, job gone).
 */

/** Why a socket stopped for good. */
export type SocketEnding =
  { kind: 'revoked'; detail: string } | { kind: 'replaced' } | { kind: 'gone'; detail: string }

export interface ManagedSocketOptions<Out> {
  url: string
  key: string
  label: string
  heartbeatIntervalMs: number
  backoffBaseMs: number
  backoffMaxMs: number
  log: Logger
  /** Writes an outgoing frame: the protocol's encoder for this socket's direction. */
  encode(frame: Out): string
  /** HTTP statuses on upgrade that mean "this resource is not yours any more" (job sockets). */
  goneStatuses?: readonly number[]
  onOpen(): void
  onMessage(text: string): void
  onDisconnect?(): void
  onEnd(ending: SocketEnding): void
}

/**
 * Missed heartbeats before a silent socket is declared dead: a half-open TCP connection would
 * otherwise look alive for ever.
 */
const DEAD_AFTER_INTERVALS = 3
/** How long a closing socket waits for the server's close frame. */
const CLOSE_WAIT_MS = 2_000

export class ManagedSocket<Out> {
  private ws: WsClient | null = null
  private readonly backoff: Backoff
  private heartbeat: NodeJS.Timeout | null = null
  private retry: NodeJS.Timeout | null = null
  private lastHeardAt = 0
  private intervalMs: number
  private stopped = false
  /** Called once the current socket has closed (a close() waiting for the server's answer). */
  private onClosed: (() => void) | null = null

  constructor(private readonly opts: ManagedSocketOptions<Out>) {
    this.backoff = new Backoff(opts.backoffBaseMs, opts.backoffMaxMs)
    this.intervalMs = opts.heartbeatIntervalMs
  }

  /** Whether a frame sent now would go out. */
  get isOpen(): boolean {
    return this.ws?.readyState === WS_OPEN
  }

  /** Bytes queued in the socket, for back-pressure. */
  get bufferedAmount(): number {
    return this.ws?.bufferedAmount ?? 0
  }

  start(): void {
    this.connect()
  }

  /** The server confirmed the session (welcome): later failures start from the base delay. */
  confirmed(serverIntervalMs?: number): void {
    this.backoff.reset()
    // Ping at least as often as the server expects, so it never thinks we went offline.
    if (serverIntervalMs !== undefined && serverIntervalMs < this.intervalMs) {
      this.intervalMs = serverIntervalMs
      this.startHeartbeat()
    }
  }

  /** Sends a JSON frame; false when the socket is down (the caller keeps it for a resend). */
  send(frame: Out): boolean {
    if (!this.ws || this.ws.readyState !== WS_OPEN) return false
    this.ws.send(this.opts.encode(frame))
    return true
  }

  /**
   * Closes for good, with no reconnect and no onEnd. Resolves once the server answered the close
   * (so every frame sent before it was delivered) or after CLOSE_WAIT_MS.
   */
  close(code = 1000, reason = ''): Promise<void> {
    this.stopped = true
    this.clearTimers()
    const ws = this.ws
    if (!ws || ws.readyState === WS_CLOSED) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate()
        resolve()
      }, CLOSE_WAIT_MS)
      this.onClosed = () => {
        clearTimeout(timer)
        resolve()
      }
      if (ws.readyState === WS_OPEN) ws.close(code, reason)
      else ws.terminate()
    })
  }

  private connect(): void {
    if (this.stopped) return
    const { url, key, label, log } = this.opts
    log.debug(`${label}: connecting to ${url}`)
    let upgradeStatus: number | null = null
    let lastError: string | null = null
    const ws: WsClient = new WsClient(
      url,
      {
        headers: { authorization: `Bearer ${key}` },
        handshakeTimeoutMs: Math.max(5_000, this.intervalMs * DEAD_AFTER_INTERVALS),
      },
      {
        onUnexpectedResponse: (status) => {
          upgradeStatus = status
        },
        onOpen: () => {
          log.info(`${label}: connected`)
          this.lastHeardAt = Date.now()
          this.startHeartbeat()
          this.opts.onOpen()
        },
        onMessage: (data, isBinary) => {
          this.lastHeardAt = Date.now()
          if (isBinary) return
          const text = data.toString()
          if (text === HEARTBEAT_PONG) return
          this.opts.onMessage(text)
        },
        onError: (err) => {
          lastError = err.message
        },
        onClose: (code, reason) => this.onSocketClosed(ws, code, reason, upgradeStatus, lastError),
      },
    )
    this.ws = ws
  }

  private onSocketClosed(
    ws: WsClient,
    code: number,
    reason: string,
    upgradeStatus: number | null,
    lastError: string | null,
  ): void {
    if (this.ws !== ws) return
    this.clearTimers()
    this.ws = null
    this.onClosed?.()
    this.onClosed = null
    if (this.stopped) return
    this.opts.onDisconnect?.()
    const ending = this.classify(upgradeStatus, code, reason)
    if (ending) {
      this.stopped = true
      this.opts.onEnd(ending)
      return
    }
    const delay = this.backoff.next()
    // What the admin can act on: the HTTP answer, the network error, or the close code.
    const why =
      upgradeStatus !== null
        ? `HTTP ${upgradeStatus}`
        : (lastError ?? `close ${code}${reason ? ` ${reason}` : ''}`)
    this.opts.log.info(
      `${this.opts.label}: disconnected (${why}); reconnecting in ${delay} ms (attempt ${this.backoff.failures})`,
    )
    this.retry = setTimeout(() => this.connect(), delay)
  }

  private classify(status: number | null, code: number, reason: string): SocketEnding | null {
    if (status === 401 || status === 403) {
      return { kind: 'revoked', detail: `the server refused the runner key (HTTP ${status})` }
    }
    if (status !== null && this.opts.goneStatuses?.includes(status)) {
      return { kind: 'gone', detail: `HTTP ${status}` }
    }
    if (code === CLOSE.REVOKED)
      return { kind: 'revoked', detail: reason || 'the runner was revoked' }
    if (code === CLOSE.REPLACED) return { kind: 'replaced' }
    if (code === CLOSE.JOB_GONE) return { kind: 'gone', detail: reason || 'job gone' }
    return null
  }

  private startHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat)
    this.heartbeat = setInterval(() => {
      const ws = this.ws
      if (!ws || ws.readyState !== WS_OPEN) return
      if (Date.now() - this.lastHeardAt > this.intervalMs * DEAD_AFTER_INTERVALS) {
        this.opts.log.warn(
          `${this.opts.label}: no answer for ${DEAD_AFTER_INTERVALS} heartbeats, reconnecting`,
        )
        ws.terminate()
        return
      }
      ws.send(HEARTBEAT_PING)
    }, this.intervalMs)
  }

  private clearTimers(): void {
    if (this.heartbeat) clearInterval(this.heartbeat)
    if (this.retry) clearTimeout(this.retry)
    this.heartbeat = null
    this.retry = null
  }
}
