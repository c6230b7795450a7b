import { useId, type ReactNode } from 'react'
import { translateMessage } from '../../../core/validation-text'
import { useT } from '../i18n'

/** A labelled input with its help text and inline error, wired for screen readers. */
export function Field(props: {
  label: string
  name: string
  value: string
  onChange: (value: string) => void
  error?: string
  help?: ReactNode
  type?: string
  /** `numeric` for digits-only text fields (ports, ids): a number keypad on phones. */
  inputMode?: 'numeric' | 'decimal' | 'text'
  autoComplete?: string
  required?: boolean
  placeholder?: string
  min?: number
  max?: number
  maxLength?: number
  disabled?: boolean
}) {
  const id = useId()
  const helpId = `${id}-help`
  const errorId = `${id}-error`
  const describedBy = [props.help ? helpId : '', props.error ? errorId : '']
    .filter(Boolean)
    .join(' ')
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        inputMode={props.inputMode}
        value={props.value}
        autoComplete={props.autoComplete}
        required={props.required}
        placeholder={props.placeholder}
        min={props.min}
        max={props.max}
        maxLength={props.maxLength}
        disabled={props.disabled}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={describedBy || undefined}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {props.help ? (
        <small id={helpId} className="help">
          {props.help}
        </small>
      ) : null}
      {props.error ? (
        <small id={errorId} className="error" role="alert">
          <ErrorText text={props.error} />
        </small>
      ) : null}
    </div>
  )
}

/** A field's error in the dashboard's language (the API words its messages in English). */
export function ErrorText(props: { text: string }) {
  return <>{translateMessage(props.text, useT().lang)}</>
}

/** The ids and ARIA wiring shared by every field kind. */
function useDescribed(help: ReactNode, error: string | undefined) {
  const id = useId()
  const helpId = `${id}-help`
  const errorId = `${id}-error`
  const describedBy = [help ? helpId : '', error ? errorId : ''].filter(Boolean).join(' ')
  return { id, helpId, errorId, describedBy: describedBy || undefined }
}

function HelpAndError(props: {
  help?: ReactNode
  error?: string
  helpId: string
  errorId: string
}) {
  return (
    <>
      {props.help ? (
        <small id={props.helpId} className="help">
          {props.help}
        </small>
      ) : null}
      {props.error ? (
        <small id={props.errorId} className="error" role="alert">
          <ErrorText text={props.error} />
        </small>
      ) : null}
    </>
  )
}

/** A labelled `<select>` with help and inline error. */
export function SelectField(props: {
  label: string
  name: string
  value: string
  options: { value: string; label: string }[]
  onChange: (value: string) => void
  error?: string
  help?: ReactNode
}) {
  const d = useDescribed(props.help, props.error)
  return (
    <div className="field">
      <label htmlFor={d.id}>{props.label}</label>
      <select
        id={d.id}
        name={props.name}
        value={props.value}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={d.describedBy}
        onChange={(e) => props.onChange(e.target.value)}
      >
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <HelpAndError help={props.help} error={props.error} helpId={d.helpId} errorId={d.errorId} />
    </div>
  )
}

/** A checkbox whose label sits beside it; help and error below. */
export function CheckboxField(props: {
  label: ReactNode
  name: string
  checked: boolean
  onChange: (checked: boolean) => void
  error?: string
  help?: ReactNode
}) {
  const d = useDescribed(props.help, props.error)
  return (
    <div className="field field-check">
      <div className="check-row">
        <input
          id={d.id}
          type="checkbox"
          name={props.name}
          checked={props.checked}
          aria-invalid={props.error ? true : undefined}
          aria-describedby={d.describedBy}
          onChange={(e) => props.onChange(e.target.checked)}
        />
        <label htmlFor={d.id}>{props.label}</label>
      </div>
      <HelpAndError help={props.help} error={props.error} helpId={d.helpId} errorId={d.errorId} />
    </div>
  )
}

export function Alert(props: { kind: 'error' | 'info' | 'success'; children: ReactNode }) {
  return (
    <div className={`alert alert-${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  )
}
