import { useEffect, useMemo, useRef, useState } from 'react'
import { SERVER_LOG_LINES_DEFAULT } from '../../../core/console'
import type { ServerLogFrame } from '../../../core/protocol/server-log'
import { useT } from '../i18n'
import { Alert } from './field'
import { downloadText, LOG_CLOCK, safeFileName, VirtualLog } from './virtual-log'

/** Lines kept in the browser; older ones drop off the top (the journal on the VM keeps them). */
const KEEP_LINES = 20_000
const LINE_CHOICES = [50, SERVER_LOG_LINES_DEFAULT, 1_000]

type WatchState = 'idle' | 'connecting' | 'live' | 'ended'

/** `2026-12-04T05:15:59+0000 host unit[pid]: text` (journalctl -o short-iso) → time and text. */
const SHORT_ISO = /^(\d{4}-\d\d-\d\dT(\d\d:\d\d:\d\d)\S*) \S+ [^:\s]+: (.*)$/

function LogLine(props: { line: string }) {
  const m = SHORT_ISO.exec(props.line)
  if (!m) return <>{props.line}</>
  // journalctl writes the offset as +0000; Date wants +00:00.
  const at = new Date((m[1] ?? '').replace(/([+-]\d\d)(\d\d)$/, '$1:$2'))
  return (
    <>
      <time className="log-time" dateTime={m[1]}>
        {Number.isNaN(at.getTime()) ? m[2] : LOG_CLOCK.format(at)}
      </time>
      {m[3]}
    </>
  )
}

function serverLogUrl(id: string, lines: number): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  return `${scheme}://${location.host}/api/deployments/${encodeURIComponent(id)}/server-log?lines=${lines}`
}

/**
 * The game's own log on its VM, live: watching opens a socket on which a runner's `journalctl -f`
 * over SSH arrives, the last lines first; stopping (or leaving the page) closes it, and the runner
 * ends its SSH session. Search and download like the deployment log.
 */
export function ServerLog(props: { id: string; name: string }) {
  const t = useT()
  const s = t.serverLog
  const [state, setState] = useState<WatchState>('idle')
  const [ended, setEnded] = useState<{ text: string; error: boolean } | null>(null)
  const [lines, setLines] = useState<string[]>([])
  const [count, setCount] = useState(SERVER_LOG_LINES_DEFAULT)
  const [query, setQuery] = useState('')
  const socket = useRef<WebSocket | null>(null)

  useEffect(() => () => socket.current?.close(1000, 'left the page'), [])

  function watch() {
    socket.current?.close(1000, 'reopened')
    setLines([])
    setEnded(null)
    setState('connecting')
    const ws = new WebSocket(serverLogUrl(props.id, count))
    socket.current = ws
    let gotEnd = false
    ws.onmessage = (ev) => {
      if (socket.current !== ws) return
      let frame: ServerLogFrame
      try {
        frame = JSON.parse(String(ev.data)) as ServerLogFrame
      } catch {
        return
      }
      if (frame.type === 'lines') {
        setState('live')
        setLines((prev) => {
          const next = prev.concat(frame.lines)
          return next.length > KEEP_LINES ? next.slice(-KEEP_LINES) : next
        })
      } else if (frame.type === 'end') {
        gotEnd = true
        setState('ended')
        setEnded({ text: s.ended[frame.code] ?? frame.message, error: frame.code !== 'closed' })
      }
    }
    ws.onopen = () => {
      if (socket.current === ws) setState('live')
    }
    ws.onclose = () => {
      if (socket.current !== ws) return
      socket.current = null
      setState('ended')
      if (!gotEnd) setEnded({ text: s.disconnected, error: true })
    }
  }

  function stop() {
    const ws = socket.current
    socket.current = null
    ws?.close(1000, 'stopped watching')
    setState('idle')
  }

  const needle = query.trim().toLowerCase()
  const shown = useMemo(
    () => (needle ? lines.filter((l) => l.toLowerCase().includes(needle)) : lines),
    [lines, needle],
  )

  function download() {
    downloadText([lines.join('\n'), '\n'], `${safeFileName(props.name)}-server.log`)
  }

  const watching = state === 'connecting' || state === 'live'
  return (
    <section className="card server-log" aria-labelledby="server-log-title">
      <div className="log-toolbar">
        <h2 id="server-log-title">{s.title}</h2>
        <span className={`conn conn-${state === 'live' ? 'live' : 'connecting'}`} role="status">
          {s.state[state]}
        </span>
        {watching ? (
          <button type="button" className="secondary small" onClick={stop}>
            {s.stop}
          </button>
        ) : (
          <>
            <label className="server-log-count">
              {s.lines}{' '}
              <select value={count} onChange={(e) => setCount(Number(e.target.value))}>
                {LINE_CHOICES.map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            </label>
            <button type="button" className="small" onClick={watch}>
              {s.watch}
            </button>
          </>
        )}
        <label className="log-search">
          <span className="sr-only">{s.search}</span>
          <input
            type="search"
            placeholder={s.search}
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
        </label>
        <button
          type="button"
          className="secondary small"
          disabled={lines.length === 0}
          onClick={download}
        >
          {s.download}
        </button>
      </div>
      <p className="muted">{s.intro}</p>
      {ended ? <Alert kind={ended.error ? 'error' : 'info'}>{ended.text}</Alert> : null}
      {/* Shown once there is something to show: a page not watching has one log, the deployment's. */}
      {state === 'idle' && lines.length === 0 ? null : (
        <>
          <p className="log-count">
            {needle ? t.logMatches(shown.length, lines.length) : t.logLines(lines.length)}
          </p>
          <VirtualLog
            lines={shown}
            label={s.title}
            jumpLabel={t.logFollow}
            lineKey={(_, i) => i}
            lineClass={() => 'server-log-line'}
            renderLine={(line) => <LogLine line={line} />}
          />
        </>
      )}
    </section>
  )
}
