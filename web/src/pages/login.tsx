import { useState, type FormEvent } from 'react'
import { api, ApiFailure, call } from '../api'
import { Alert, Field } from '../components/field'
import { useT } from '../i18n'
import { useTitle } from '../router'
import { PasskeyCancelled, passkeysSupported, signWithPasskey } from '../lib/webauthn'

export function LoginPage(props: { expired: boolean; onDone: () => void }) {
  const t = useT()
  useTitle(`${t.loginTitle} · ${t.appName}`)
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await call(api.api.auth.login.$post({ json: { username, password } }))
      props.onDone()
    } catch (err) {
      setError(
        err instanceof ApiFailure && err.code === 'too_many_attempts'
          ? t.tooManyAttempts(err.retryAfterSeconds ?? 1)
          : err instanceof ApiFailure
            ? err.message
            : String(err),
      )
    } finally {
      setBusy(false)
    }
  }

  async function withPasskey() {
    setBusy(true)
    setError(null)
    try {
      const options = await call(api.api.auth['passkey-login'].options.$post())
      const answer = await signWithPasskey(options, 'required')
      await call(api.api.auth['passkey-login'].$post({ json: answer }))
      props.onDone()
    } catch (err) {
      setError(
        err instanceof PasskeyCancelled
          ? t.passkeyCancelled
          : err instanceof ApiFailure
            ? err.message
            : String(err),
      )
    } finally {
      setBusy(false)
    }
  }

  return (
    <main className="narrow">
      <h1>{t.loginTitle}</h1>
      {props.expired ? <Alert kind="info">{t.sessionExpired}</Alert> : null}
      {error ? <Alert kind="error">{error}</Alert> : null}
      {passkeysSupported() ? (
        <>
          <button type="button" disabled={busy} onClick={() => void withPasskey()}>
            {t.signInWithPasskey}
          </button>
          <p className="or">{t.orPassword}</p>
        </>
      ) : null}
      <form onSubmit={submit}>
        <Field
          label={t.username}
          name="username"
          value={username}
          onChange={setUsername}
          autoComplete="username"
          required
        />
        <Field
          label={t.password}
          name="password"
          type="password"
          value={password}
          onChange={setPassword}
          autoComplete="current-password"
          required
        />
        <button type="submit" disabled={busy}>
          {t.signIn}
        </button>
      </form>
    </main>
  )
}
