import { useId, useRef, useState, type ReactNode } from 'react'
import { errorText } from '../api'
import { useT } from '../i18n'
import { Alert } from './field'

/**
 * A button that asks first, in a native modal `<dialog>` (focus trapped, Escape closes), then
 * runs the action and shows its error in the dialog rather than swallowing it.
 */
export function ConfirmButton(props: {
  label: string
  /** A longer accessible name when the label alone is ambiguous (e.g. one per table row). */
  ariaLabel?: string
  title: string
  body: ReactNode
  confirmLabel: string
  /** The button that closes the dialog without acting, when "Cancel" would be ambiguous. */
  dismissLabel?: string
  danger?: boolean
  /**
   * Greys out the button that opens the dialog (not the dialog's own confirm: a dialog already
   * open when the state changed underneath still asks the server, which says why it refuses).
   */
  disabled?: boolean
  onConfirm: () => Promise<void>
  /** Where focus goes after a successful confirm, when the opening button may be gone. */
  focusAfter?: () => HTMLElement | null
}) {
  const t = useT()
  const ref = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  async function confirm() {
    setBusy(true)
    setError(null)
    try {
      await props.onConfirm()
      ref.current?.close()
      props.focusAfter?.()?.focus()
    } catch (err) {
      setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <>
      <button
        type="button"
        className={props.danger ? 'danger' : 'secondary'}
        aria-label={props.ariaLabel}
        disabled={props.disabled}
        onClick={() => {
          setError(null)
          ref.current?.showModal()
        }}
      >
        {props.label}
      </button>
      <dialog ref={ref} aria-labelledby={titleId} className="confirm">
        <h2 id={titleId}>{props.title}</h2>
        <div>{props.body}</div>
        {error ? <Alert kind="error">{error}</Alert> : null}
        <div className="actions">
          <button type="button" className="secondary" onClick={() => ref.current?.close()}>
            {props.dismissLabel ?? t.cancelDialog}
          </button>
          <button
            type="button"
            className={props.danger ? 'danger' : undefined}
            disabled={busy}
            onClick={() => void confirm()}
          >
            {props.confirmLabel}
          </button>
        </div>
      </dialog>
    </>
  )
}
