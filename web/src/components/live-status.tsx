import { useEffect, useState } from 'react'
import type { LiveStatus } from '../hooks/use-deployment-events'
import { useT } from '../i18n'
import { formatAgo } from '../lib/format'

/** Re-renders every `ms` while mounted: for "checked 12 s ago". */
function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms)
    return () => clearInterval(timer)
  }, [ms])
  return now
}

type Tone = 'ok' | 'busy' | 'bad' | 'off'

/** One short verdict for a live status, with its colour family: what the list shows. */
function verdict(live: LiveStatus): { key: string; tone: Tone } {
  if (live.game?.online) return { key: 'online', tone: 'ok' }
  if (live.game && !live.game.online) return { key: 'unreachable', tone: 'bad' }
  switch (live.power) {
    case 'stopped':
      return { key: 'vmOff', tone: 'off' }
    case 'missing':
      return { key: 'vmMissing', tone: 'bad' }
    case 'paused':
      return { key: 'vmPaused', tone: 'busy' }
    default:
      return { key: 'unknown', tone: 'busy' }
  }
}

/** The list's compact badge: "online · 3/20", "unreachable", "VM off"… */
export function LiveBadge(props: { live: LiveStatus }) {
  const t = useT()
  const v = verdict(props.live)
  const players =
    props.live.game?.online && props.live.game.players
      ? ` · ${props.live.game.players.online}/${props.live.game.players.max}`
      : ''
  const words = (t.liveBadge as Record<string, string>)[v.key] ?? v.key
  return (
    <span
      className={`badge badge-${v.tone} badge-live`}
      data-live={v.key}
      title={t.liveChecked(formatAgo(props.live.checkedAt, t.lang))}
    >
      <span className="sr-only">{t.liveTitle}: </span>
      {words}
      {players}
    </span>
  )
}

/**
 * The detail page's live status: VM power, whether the game answers (and what it says), and how
 * fresh that is. `live` null: no check yet since the deployment (or its last action) settled.
 * The verdict line is a polite live region; the "checked … ago" clock is not (it ticks).
 */
export function LivePanel(props: { live: LiveStatus | null }) {
  const t = useT()
  const now = useNow(1_000)
  const live = props.live
  const game = live?.game ?? null
  return (
    <section className="card live" aria-labelledby="live-title" data-testid="live-status">
      <h2 id="live-title">{t.liveTitle}</h2>
      {live ? (
        <>
          <p className="live-verdict" aria-live="polite" aria-atomic="true">
            <LiveBadge live={live} />
          </p>
          <dl>
            <dt>{t.livePower}</dt>
            <dd data-field="power">
              {(t.power as Record<string, string>)[live.power] ?? live.power}
              {live.error ? <span className="muted"> ({live.error})</span> : null}
            </dd>
            <dt>{t.liveGame}</dt>
            <dd data-field="game">
              {game === null
                ? t.liveGameNotAsked
                : game.online
                  ? t.liveOnline
                  : `${t.liveUnreachable}: ${game.error}`}
            </dd>
            {game?.online ? (
              <>
                <dt>{t.version}</dt>
                <dd data-field="version">{game.version ?? '—'}</dd>
                <dt>{t.playersOnline}</dt>
                <dd data-field="players">
                  {game.players ? `${game.players.online} / ${game.players.max}` : '—'}
                </dd>
                <dt>{t.liveLatency}</dt>
                <dd data-field="latency">{t.latencyValue(Math.round(game.latencyMs))}</dd>
              </>
            ) : null}
          </dl>
          <p className="muted live-checked">
            <time dateTime={new Date(live.checkedAt).toISOString()}>
              {t.liveChecked(formatAgo(live.checkedAt, t.lang, Math.max(now, live.checkedAt)))}
            </time>
          </p>
        </>
      ) : (
        <p className="muted" aria-live="polite">
          {t.liveWaiting}
        </p>
      )}
    </section>
  )
}
