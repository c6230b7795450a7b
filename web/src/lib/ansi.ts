/**
 * ANSI SGR colours (what Ansible prints with ANSI_COLORS) → styled segments. Only colours and
 * bold are kept; every other escape is dropped so it never shows as garbage.
 */
export interface Segment {
  text: string
  /** CSS classes: `fg-1`…`fg-15`, `bold`. */
  className?: string
}

// eslint-disable-next-line no-control-regex
const ESCAPE = /\x1b\[([0-9;]*)([A-Za-z])/g

/** Splits a line into styled segments. Plain lines come back as one segment. */
export function parseAnsi(line: string): Segment[] {
  if (!line.includes('\x1b')) return [{ text: line }]
  const out: Segment[] = []
  let fg: number | null = null
  let bold = false
  let last = 0
  const push = (text: string) => {
    if (!text) return
    const classes = [fg === null ? '' : `fg-${fg}`, bold ? 'bold' : ''].filter(Boolean).join(' ')
    out.push(classes ? { text, className: classes } : { text })
  }
  for (const m of line.matchAll(ESCAPE)) {
    push(line.slice(last, m.index))
    last = m.index + m[0].length
    if (m[2] !== 'm') continue
    const codes = (m[1] ?? '').split(';').map((c) => (c === '' ? 0 : Number(c)))
    for (const code of codes) {
      if (code === 0) {
        fg = null
        bold = false
      } else if (code === 1) bold = true
      else if (code === 22) bold = false
      else if (code === 39) fg = null
      else if (code >= 30 && code <= 37) fg = code - 30
      else if (code >= 90 && code <= 97) fg = code - 90 + 8
    }
  }
  push(line.slice(last))
  // eslint-disable-next-line no-control-regex
  return out.map((s) => ({ ...s, text: s.text.replace(/\x1b/g, '') }))
}

/** The line without any escape sequence, for search and download. */
export function stripAnsi(line: string): string {
  // eslint-disable-next-line no-control-regex
  return line.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')
}
