import { useState, type FormEvent } from 'react'
import { api, ApiFailure, call, errorText } from '../api'
import { Alert, Field } from './field'
import { useT } from '../i18n'
import { PasskeyCancelled, passkeysSupported, signWithPasskey } from '../lib/webauthn'

/** Which second factors the account has (from /api/auth/me); unknown: the code only. */
export type FactorMethods = { totp: boolean; passkey: boolean }

/**
 * A code from the authenticator app (or, on request, a recovery code), or a touch of one of the
 * account's passkeys, checked by the server.
 */
export function CodeForm(props: {
  onDone: () => void
  submitLabel?: string
  methods?: FactorMethods
}) {
  const t = useT()
  const methods = props.methods ?? { totp: true, passkey: false }
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

  async function withPasskey() {
    setBusy(true)
    setError(null)
    try {
      const options = await call(api.api.auth.passkeys.verify.options.$post())
      const answer = await signWithPasskey(options, 'preferred')
      await call(api.api.auth.passkeys.verify.$post({ json: answer }))
      props.onDone()
    } catch (err) {
      setError(err instanceof PasskeyCancelled ? t.passkeyCancelled : errorText(err))
    } finally {
      setBusy(false)
    }
  }

  const passkey =
    methods.passkey && passkeysSupported() ? (
      <button
        type="button"
        className={methods.totp ? 'secondary' : undefined}
        disabled={busy}
        onClick={() => void withPasskey()}
      >
        {t.usePasskey}
      </button>
    ) : null

  if (!methods.totp)
    return (
      <div>
        {error ? <Alert kind="error">{error}</Alert> : null}
        <p>{t.secondFactorPasskeyIntro}</p>
        <div className="actions">{passkey}</div>
      </div>
    )

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
        {passkey}
      </div>
    </form>
  )
}
