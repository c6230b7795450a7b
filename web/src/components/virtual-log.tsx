import { useLayoutEffect, useRef, useState, type Key, type ReactNode } from 'react'

/** Fixed line height: what makes windowing a division instead of a measurement. */
const LINE_PX = 20
const OVERSCAN = 20

/** A log line's time of day, in the viewer's time zone (downloads carry full times). */
export const LOG_CLOCK = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
})

/**
 * A scrolling log of which only the visible lines are in the DOM (100,000 lines stay smooth). It
 * follows the tail until the reader scrolls up, and then offers a button back to the end. Used by
 * the deployment log and the game server's log.
 */
export function VirtualLog<T>(props: {
  lines: readonly T[]
  /** Changes whenever the lines' contents change in place (a buffer that is appended to). */
  version?: number
  label: string
  jumpLabel: string
  lineKey: (line: T, index: number) => Key
  lineClass: (line: T) => string
  renderLine: (line: T) => ReactNode
}) {
  const { lines } = props
  const viewport = useRef<HTMLDivElement>(null)
  const follow = useRef(true)
  const [following, setFollowing] = useState(true)
  const [scrollTop, setScrollTop] = useState(0)
  const [height, setHeight] = useState(480)

  useLayoutEffect(() => {
    const el = viewport.current
    if (!el) return
    setHeight(el.clientHeight)
    if (follow.current) el.scrollTop = el.scrollHeight
  }, [lines.length, props.version])

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

  const first = Math.max(0, Math.floor(scrollTop / LINE_PX) - OVERSCAN)
  const last = Math.min(lines.length, Math.ceil((scrollTop + height) / LINE_PX) + OVERSCAN)
  return (
    <>
      <div
        ref={viewport}
        className="log-viewport"
        onScroll={onScroll}
        tabIndex={0}
        role="log"
        aria-label={props.label}
      >
        <div style={{ height: lines.length * LINE_PX, position: 'relative' }}>
          <div style={{ transform: `translateY(${first * LINE_PX}px)` }}>
            {lines.slice(first, last).map((line, i) => (
              <div key={props.lineKey(line, first + i)} className={props.lineClass(line)}>
                {props.renderLine(line)}
              </div>
            ))}
          </div>
        </div>
      </div>
      {!following ? (
        <button type="button" className="jump small" onClick={jumpToEnd}>
          {props.jumpLabel}
        </button>
      ) : null}
    </>
  )
}

/** Saves text as a file through the browser's download, named `fileName`. */
export function downloadText(parts: BlobPart[], fileName: string): void {
  const url = URL.createObjectURL(new Blob(parts, { type: 'text/plain' }))
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** A file name from a deployment's name: only letters, digits, dots and dashes. */
export function safeFileName(name: string): string {
  return name.replace(/[^\w.-]+/g, '_')
}
