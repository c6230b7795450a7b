import { liveSessionIds } from '../db/sessions'
import { SESSION_IDLE_MS } from '../http/sessions'

/** How often open dashboards' sessions are checked again (signed out → socket closed). */
export const VIEWER_RECHECK_MS = 30_000
/** Close code for a dashboard whose session ended (signed out or expired). */
export const CLOSE_SIGNED_OUT = 4401

/**
 * What a socket is, kept in its attachment so it survives hibernation: identity, and for a
 * dashboard the end of its session (epoch ms), checked before every frame it is sent.
 */
export type SocketAttachment =
  | { role: 'runner'; runnerId: string; jobId: string }
  | { role: 'dashboard'; sessionId?: string; expiresAt?: number }

/**
 * A deployment's dashboards: the sockets of everyone watching its page. A socket outlives the
 * request that opened it, so each frame checks its session's end, sign-out closes its sockets at
 * once, and idle timeouts are caught by a periodic re-check against D1.
 */
export class Viewers {
  private checkedAt = 0
  /** Attachments already read, so a broadcast does not deserialize each one again. */
  private attachments = new WeakMap<WebSocket, SocketAttachment | null>()

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly env: Env,
  ) {}

  attachment(ws: WebSocket): SocketAttachment | null {
    let att = this.attachments.get(ws)
    if (att === undefined) {
      att = ws.deserializeAttachment() as SocketAttachment | null
      this.attachments.set(ws, att)
    }
    return att
  }

  /** Send an encoded frame to every dashboard whose session has not ended. */
  broadcast(text: string): void {
    this.revalidate()
    const now = Date.now()
    for (const ws of this.ctx.getWebSockets('dashboard')) {
      const att = this.attachment(ws)
      try {
        if (att?.role === 'dashboard' && att.expiresAt !== undefined && now >= att.expiresAt) {
          ws.close(CLOSE_SIGNED_OUT, 'session expired')
        } else ws.send(text)
      } catch {
        // A socket closing under us: its close handler cleans up.
      }
    }
  }

  /** These sessions ended (signed out, replaced at sign-in): close their sockets now. */
  sessionsEnded(sessionIds: readonly string[]): void {
    const ended = new Set(sessionIds)
    for (const ws of this.ctx.getWebSockets('dashboard')) {
      const att = this.attachment(ws)
      if (att?.role === 'dashboard' && att.sessionId && ended.has(att.sessionId)) close(ws)
    }
  }

  /**
   * Close the dashboards whose session ended (idle timeout, or deleted some other way), at most
   * every VIEWER_RECHECK_MS.
   */
  private revalidate(): void {
    const now = Date.now()
    if (now - this.checkedAt < VIEWER_RECHECK_MS) return
    const viewers = this.ctx.getWebSockets('dashboard')
    if (viewers.length === 0) return
    this.checkedAt = now
    this.ctx.waitUntil(
      (async () => {
        const ids = new Set<string>()
        for (const ws of viewers) {
          const att = this.attachment(ws)
          if (att?.role === 'dashboard' && att.sessionId) ids.add(att.sessionId)
        }
        const live = await liveSessionIds(this.env.DB, [...ids], now, SESSION_IDLE_MS)
        for (const ws of viewers) {
          const att = this.attachment(ws)
          if (att?.role !== 'dashboard' || (att.sessionId && live.has(att.sessionId))) continue
          close(ws)
        }
      })().catch((err: unknown) =>
        console.warn(JSON.stringify({ level: 'warn', revalidate: String(err) })),
      ),
    )
  }
}

function close(ws: WebSocket): void {
  try {
    ws.close(CLOSE_SIGNED_OUT, 'signed out')
  } catch {
    // Closing already.
  }
}
