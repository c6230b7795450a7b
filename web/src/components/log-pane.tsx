import { useMemo, useState } from 'react'
import { api, call, errorText } from '../api'
import type { Connection, LogBuffer } from '../hooks/use-deployment-events'
import { useT } from '../i18n'
import { parseAnsi, stripAnsi } from '../lib/ansi'
import { Alert } from './field'
import { downloadText, LOG_CLOCK, safeFileName, VirtualLog } from './virtual-log'

const DOWNLOAD_PAGE = 10_000
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
      downloadText(parts, `${safeFileName(props.name)}-${props.deploymentId.slice(0, 8)}.log`)
    } catch (err) {
      setDownloadError(errorText(err))
    } finally {
      setDownloading(false)
    }
  }

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
      <VirtualLog
        lines={shown}
        version={props.version}
        label={t.logTitle}
        jumpLabel={t.logFollow}
        lineKey={(line) => line.seq}
        lineClass={(line) => `log-line log-${line.stream}`}
        renderLine={(line) => (
          <>
            <span className="log-seq" aria-hidden="true">
              {line.seq}
            </span>
            <time className="log-time" dateTime={new Date(line.ts).toISOString()}>
              {LOG_CLOCK.format(line.ts)}
            </time>
            {parseAnsi(line.text).map((s, i) => (
              <span key={i} className={s.className}>
                {s.text}
              </span>
            ))}
          </>
        )}
      />
    </section>
  )
}
