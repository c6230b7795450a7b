import { useLayoutEffect, useMemo, useRef, useState } from 'react'
import { api, call, errorText } from '../api'
import type { Connection, LogBuffer } from '../hooks/use-deployment-events'
import { useT } from '../i18n'
import { parseAnsi, stripAnsi } from '../lib/ansi'
import { Alert } from './field'

/** Fixed line height: what makes windowing a division instead of a measurement. */
const LINE_PX = 20
const OVERSCAN = 20
const DOWNLOAD_PAGE = 10_000
/** A line's time of day, in the viewer's time zone (the download has full ISO times). */
const CLOCK = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
})
/** Bounds the download loop: 200 pages of 10,000 lines. */
const DOWNLOAD_MAX_PAGES = 200

/**
 * The live log: only the visible lines are in the DOM (100,000 lines stay smooth), it follows the
 * tail until the admin scrolls up, renders Ansible's colours, filters by search, and downloads the
 * full log from the API.
 */
export function LogPane(props: {
  deploymentId: string
  name: string
  log: LogBuffer
  version: number
  connection: Connection
}) {
  const t = useT()
  const viewport = useRef<HTMLDivElement>(null)
  const follow = useRef(true)
  const [following, setFollowing] = useState(true)
  const [scrollTop, setScrollTop] = useState(0)
  const [height, setHeight] = useState(480)
  const [query, setQuery] = useState('')
  const [downloadError, setDownloadError] = useState<string | null>(null)
  const [downloading, setDownloading] = useState(false)

  const { lines } = props.log
  const needle = query.trim().toLowerCase()
  const shown = useMemo(
    () => (needle ? lines.filter((l) => stripAnsi(l.text).toLowerCase().includes(needle)) : lines),
    // `version` stands for the buffer's contents, which change in place.
    [lines, needle, props.version],
  )

  useLayoutEffect(() => {
    const el = viewport.current
    if (!el) return
    setHeight(el.clientHeight)
    if (follow.current) el.scrollTop = el.scrollHeight
  }, [shown.length, props.version])

  function onScroll() {
    const el = viewport.current
    if (!el) return
    setScrollTop(el.scrollTop)
    const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - LINE_PX * 2
    follow.current = atBottom
    setFollowing(atBottom)
  }

  function jumpToEnd() {
    const el = viewport.current
    if (!el) return
    follow.current = true
    setFollowing(true)
    el.scrollTop = el.scrollHeight
  }

  async function download() {
    setDownloading(true)
    setDownloadError(null)
    try {
      const parts: string[] = []
      let after = 0
      for (let page = 0; page < DOWNLOAD_MAX_PAGES; page++) {
        const res = await call(
          api.api.deployments[':id'].logs.$get({
            param: { id: props.deploymentId },
            query: { after: String(after), limit: String(DOWNLOAD_PAGE) },
          }),
        )
        for (const l of res.lines) {
          parts.push(`${new Date(l.ts).toISOString()} ${l.step ?? '-'} ${stripAnsi(l.text)}\n`)
        }
        if (res.lines.length < DOWNLOAD_PAGE) break
        after = res.nextAfter
      }
      const url = URL.createObjectURL(new Blob(parts, { type: 'text/plain' }))
      const a = document.createElement('a')
      a.href = url
      a.download = `${props.name.replace(/[^\w.-]+/g, '_')}-${props.deploymentId.slice(0, 8)}.log`
      a.click()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
    } catch (err) {
      setDownloadError(errorText(err))
    } finally {
      setDownloading(false)
    }
  }

  const first = Math.max(0, Math.floor(scrollTop / LINE_PX) - OVERSCAN)
  const last = Math.min(shown.length, Math.ceil((scrollTop + height) / LINE_PX) + OVERSCAN)
  const slice = shown.slice(first, last)

  return (
    <section className="log-pane" aria-labelledby="log-title">
      <div className="log-toolbar">
        <h2 id="log-title">{t.logTitle}</h2>
        <span className={`conn conn-${props.connection}`} role="status">
          {t.connection[props.connection]}
        </span>
        <label className="log-search">
          <span className="sr-only">{t.logSearch}</span>
          <input
            type="search"
            placeholder={t.logSearch}
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
        </label>
        <button
          type="button"
          className="secondary small"
          disabled={downloading}
          onClick={() => void download()}
        >
          {t.logDownload}
        </button>
      </div>
      {downloadError ? <Alert kind="error">{downloadError}</Alert> : null}
      <p className="log-count">
        {needle ? t.logMatches(shown.length, lines.length) : t.logLines(lines.length)}
      </p>
      <div
        ref={viewport}
        className="log-viewport"
        onScroll={onScroll}
        tabIndex={0}
        role="log"
        aria-label={t.logTitle}
      >
        <div style={{ height: shown.length * LINE_PX, position: 'relative' }}>
          <div style={{ transform: `translateY(${first * LINE_PX}px)` }}>
            {slice.map((line) => (
              <div key={line.seq} className={`log-line log-${line.stream}`} data-seq={line.seq}>
                <span className="log-seq" aria-hidden="true">
                  {line.seq}
                </span>
                <time className="log-time" dateTime={new Date(line.ts).toISOString()}>
                  {CLOCK.format(line.ts)}
                </time>
                {parseAnsi(line.text).map((s, i) => (
                  <span key={i} className={s.className}>
                    {s.text}
                  </span>
                ))}
              </div>
            ))}
          </div>
        </div>
      </div>
      {!following ? (
        <button type="button" className="jump small" onClick={jumpToEnd}>
          {t.logFollow}
        </button>
      ) : null}
    </section>
  )
}
