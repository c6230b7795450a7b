import { useState, type FormEvent } from 'react'
import { api, ApiFailure, call, errorText } from '../api'
import { Alert, Field } from './field'
import { useT } from '../i18n'

/** A code from the authenticator app (or, on request, a recovery code), checked by the server. */
export function CodeForm(props: { onDone: () => void; submitLabel?: string }) {
  const t = useT()
  const [recovery, setRecovery] = useState(false)
  const [value, setValue] = useState('')
  const [fields, setFields] = useState<Record<string, string>>({})
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setFields({})
    setError(null)
    try {
      await call(
        api.api.auth.totp.verify.$post({
          json: recovery ? { recoveryCode: value } : { code: value },
        }),
      )
      setValue('')
      props.onDone()
    } catch (err) {
      if (err instanceof ApiFailure && Object.keys(err.fields).length > 0) setFields(err.fields)
      else setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form onSubmit={submit}>
      {error ? <Alert kind="error">{error}</Alert> : null}
      <Field
        label={recovery ? t.recoveryCode : t.authenticatorCode}
        name={recovery ? 'recovery-code' : 'code'}
        value={value}
        onChange={setValue}
        inputMode={recovery ? 'text' : 'numeric'}
        autoComplete="one-time-code"
        error={fields.code ?? fields.recoveryCode}
        required
      />
      <div className="actions">
        <button type="submit" disabled={busy}>
          {props.submitLabel ?? t.verifyCode}
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() => {
            setRecovery(!recovery)
            setValue('')
            setFields({})
          }}
        >
          {recovery ? t.useAppCode : t.useRecoveryCode}
        </button>
      </div>
    </form>
  )
}
