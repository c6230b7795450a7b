import { useState, type FormEvent } from 'react'
import { api, ApiFailure, call } from '../api'
import { Alert, Field } from '../components'
import { useT } from '../i18n'

/** First visit: create the admin account (the API refuses this once a user exists). */
export function SetupPage(props: { onDone: () => void }) {
  const t = useT()
  const [username, setUsername] = useState('admin')
  const [password, setPassword] = useState('')
  const [failure, setFailure] = useState<ApiFailure | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setFailure(null)
    try {
      await call(api.api.setup.$post({ json: { username, password } }))
      props.onDone()
    } catch (err) {
      setFailure(err instanceof ApiFailure ? err : new ApiFailure(0, 'unknown', String(err)))
    } finally {
      setBusy(false)
    }
  }

  return (
    <main className="narrow">
      <h1>{t.setupTitle}</h1>
      <p>{t.setupIntro}</p>
      <form onSubmit={submit} noValidate>
        {failure && Object.keys(failure.fields).length === 0 ? (
          <Alert kind="error">{failure.message}</Alert>
        ) : null}
        <Field
          label={t.username}
          name="username"
          value={username}
          onChange={setUsername}
          autoComplete="username"
          required
          error={failure?.fields.username}
        />
        <Field
          label={t.password}
          name="password"
          type="password"
          value={password}
          onChange={setPassword}
          autoComplete="new-password"
          required
          help={t.passwordHint}
          error={failure?.fields.password}
        />
        <button type="submit" disabled={busy}>
          {t.createAdmin}
        </button>
      </form>
    </main>
  )
}
