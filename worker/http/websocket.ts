import type { AppContext } from '../env'
import { ApiError } from './errors'

/** Refuse a plain HTTP request on a websocket-only route with a clear 426. */
export function requireWebSocketUpgrade(c: AppContext): void {
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
    throw new ApiError(426, 'upgrade_required', 'This endpoint speaks WebSocket only.')
  }
}

/**
 * Answer a peer's close with ours (hibernatable sockets must reciprocate). 1005/1006 are not
 * codes one may send, so they become a normal close.
 */
export function reciprocateClose(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code === 1005 || code === 1006 ? 1000 : code, reason)
  } catch {
    // Already closed.
  }
}
