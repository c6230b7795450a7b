import { useState } from 'react'
import { useT } from '../i18n'

/** Copies `text` to the clipboard and says so for a moment (to screen readers too). */
export function CopyButton(props: { text: string; label?: string }) {
  const t = useT()
  const [copied, setCopied] = useState(false)
  async function copy() {
    try {
      await navigator.clipboard.writeText(props.text)
    } catch {
      // Clipboard refused (insecure context, permissions): select-and-copy stays possible.
      return
    }
    setCopied(true)
    setTimeout(() => setCopied(false), 1500)
  }
  return (
    <button
      type="button"
      className="secondary small"
      onClick={() => void copy()}
      aria-label={`${props.label ?? t.copy}: ${props.text}`}
    >
      <span aria-live="polite">{copied ? t.copied : (props.label ?? t.copy)}</span>
    </button>
  )
}
