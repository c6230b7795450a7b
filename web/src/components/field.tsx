import { useId, type ReactNode } from 'react'

/** A labelled input with its help text and inline error, wired for screen readers. */
export function Field(props: {
  label: string
  name: string
  value: string
  onChange: (value: string) => void
  error?: string
  help?: ReactNode
  type?: string
  autoComplete?: string
  required?: boolean
  placeholder?: string
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
        value={props.value}
        autoComplete={props.autoComplete}
        required={props.required}
        placeholder={props.placeholder}
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
          {props.error}
        </small>
      ) : null}
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
