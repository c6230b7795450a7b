import { useEffect, useRef, useState } from 'react'
import {
  parseFrame,
  ServerToDashboard,
  type ServerToDashboard as Frame,
} from '../../../core/protocol'
import { api, call } from '../api'
import { LogBuffer } from '../lib/log-buffer'

export { LogBuffer }

export type LiveState = Extract<Frame, { type: 'state' }>
export type LiveStatus = Extract<Frame, { type: 'live' }>['live']
export type Connection = 'connecting' | 'live' | 'reconnecting'

const RECONNECT_BASE_MS = 500
const RECONNECT_MAX_MS = 10_000

function eventsUrl(id: string, after: number): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  return `${scheme}://${location.host}/api/deployments/${encodeURIComponent(id)}/events?after=${after}`
}

/**
 * The deployment's live socket: state frames and log lines. After a drop it reconnects with
 * jittered backoff from the last seq it holds, so no line is lost or shown twice. A socket that
 * cannot even open may mean the session ended: one cheap call lets the 401 handler take over.
 */
export function useDeploymentEvents(id: string | null) {
  const buffer = useRef(new LogBuffer())
  const [state, setState] = useState<LiveState | null>(null)
  // The last live status (power, game): from the state frame, then from each `live` frame;
  // undefined until the socket said anything (the caller falls back to what it loaded).
  const [live, setLive] = useState<LiveStatus | null | undefined>(undefined)
  const [version, setVersion] = useState(0)
  const [connection, setConnection] = useState<Connection>('connecting')

  useEffect(() => {
    const log = new LogBuffer()
    buffer.current = log
    setVersion((v) => v + 1)
    // No such deployment (or not loaded): nothing to listen to.
    if (id === null) return
    let ws: WebSocket | null = null
    let disposed = false
    let failures = 0
    let timer: ReturnType<typeof setTimeout> | undefined
    let frame = 0

    // Lines arrive in bursts; one re-render per animation frame is plenty.
    const bump = () => {
      if (frame) return
      frame = requestAnimationFrame(() => {
        frame = 0
        setVersion((v) => v + 1)
      })
    }

    const connect = () => {
      let opened = false
      ws = new WebSocket(eventsUrl(id, log.lastSeq))
      ws.onopen = () => {
        opened = true
        failures = 0
        setConnection('live')
      }
      ws.onmessage = (e) => {
        const parsed = parseFrame(ServerToDashboard, e.data)
        if (!parsed.ok) return
        const f = parsed.frame
        if (f.type === 'state') {
          setState(f)
          // null: the server dropped it (the deployment left ready/stopped): so do we.
          setLive((prev) => (f.live ? newer(prev, f.live) : null))
        } else if (f.type === 'live') setLive((prev) => newer(prev, f.live))
        else if (log.append(f.lines)) bump()
      }
      ws.onclose = () => {
        ws = null
        if (disposed) return
        setConnection('reconnecting')
        failures++
        if (!opened) void call(api.api.auth.me.$get()).catch(() => undefined)
        const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** Math.min(failures, 6))
        timer = setTimeout(connect, delay / 2 + Math.random() * (delay / 2))
      }
    }
    connect()
    return () => {
      disposed = true
      clearTimeout(timer)
      if (frame) cancelAnimationFrame(frame)
      ws?.close()
    }
  }, [id])

  return { state, live, log: buffer.current, version, connection }
}

/** The later of two live statuses (a reconnect's state frame may carry an older one). */
function newer(prev: LiveStatus | null | undefined, next: LiveStatus): LiveStatus {
  return prev && prev.checkedAt > next.checkedAt ? prev : next
}
