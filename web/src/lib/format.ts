/** `65_000` → `1:05`; hours when needed. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000))
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = String(total % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`
}

/** A timestamp in the reader's language, short. */
export function formatTime(epochMs: number, lang: string): string {
  return new Date(epochMs).toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'short' })
}

/** "3 min ago"-style text through the browser's own translations. */
export function formatAgo(epochMs: number, lang: string, now = Date.now()): string {
  const rtf = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' })
  const s = Math.round((epochMs - now) / 1000)
  if (Math.abs(s) < 60) return rtf.format(s, 'second')
  const m = Math.round(s / 60)
  if (Math.abs(m) < 60) return rtf.format(m, 'minute')
  const h = Math.round(m / 60)
  if (Math.abs(h) < 24) return rtf.format(h, 'hour')
  return rtf.format(Math.round(h / 24), 'day')
}
