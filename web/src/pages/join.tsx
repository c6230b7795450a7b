import { useEffect, useState, type FormEvent } from 'react'
import { api, ApiFailure, call } from '../api'
import { Alert, Field } from '../components/field'
import { useT } from '../i18n'
import { useTitle } from '../router'

type Link =
  | { state: 'checking' }
  | { state: 'bad'; message: string }
  | { state: 'ok'; kind: 'invite' | 'reset'; role: string | null; username: string | null }

/**
 * Where an invite or reset link lands. The token is in the URL's fragment, which the browser
 * never sends to a server: it goes to the API in a POST body only.
 */
export function JoinPage(props: { onDone: () => void }) {
  const t = useT()
  const token = decodeURIComponent(location.hash.replace(/^#/, ''))
  const [link, setLink] = useState<Link>({ state: 'checking' })
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [again, setAgain] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [fields, setFields] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  useTitle(
    `${link.state === 'ok' && link.kind === 'reset' ? t.joinResetTitle : t.joinInviteTitle} · ${t.appName}`,
  )

  const explain = (err: unknown) =>
    err instanceof ApiFailure ? (t.linkErrors[err.code] ?? err.message) : String(err)

  useEffect(() => {
    call(api.api.invites.check.$post({ json: { token } }))
      .then((r) => setLink({ state: 'ok', kind: r.kind, role: r.role, username: r.username }))
      .catch((err: unknown) => setLink({ state: 'bad', message: explain(err) }))
  }, [])

  async function submit(e: FormEvent) {
    e.preventDefault()
    if (password !== again) return setFields({ again: t.passwordsDiffer })
    setBusy(true)
    setError(null)
    setFields({})
    try {
      const invite = link.state === 'ok' && link.kind === 'invite'
      await call(
        api.api.invites.accept.$post({
          json: invite ? { token, username, password } : { token, password },
        }),
      )
      history.replaceState(null, '', '/deployments')
      props.onDone()
    } catch (err) {
      if (err instanceof ApiFailure && Object.keys(err.fields).length > 0) setFields(err.fields)
      else setError(explain(err))
    } finally {
      setBusy(false)
    }
  }

  if (link.state === 'checking') return <p className="loading">{t.loading}</p>
  if (link.state === 'bad')
    return (
      <main className="narrow">
        <h1>{t.joinInviteTitle}</h1>
        <Alert kind="error">{link.message}</Alert>
      </main>
    )
  const invite = link.kind === 'invite'
  const role = (t.roles as Record<string, string>)[link.role ?? ''] ?? link.role ?? ''
  return (
    <main className="narrow">
      <h1>{invite ? t.joinInviteTitle : t.joinResetTitle}</h1>
      <p>{invite ? t.joinInviteIntro(role) : t.joinResetIntro(link.username ?? '')}</p>
      <form onSubmit={submit}>
        {error ? <Alert kind="error">{error}</Alert> : null}
        {invite ? (
          <Field
            label={t.username}
            name="username"
            value={username}
            onChange={setUsername}
            autoComplete="username"
            error={fields.username}
            required
          />
        ) : null}
        <Field
          label={t.password}
          name="password"
          type="password"
          value={password}
          onChange={setPassword}
          autoComplete="new-password"
          error={fields.password}
          required
        />
        <Field
          label={t.confirmPassword}
          name="again"
          type="password"
          value={again}
          onChange={setAgain}
          autoComplete="new-password"
          error={fields.again}
          required
        />
        <button type="submit" disabled={busy}>
          {invite ? t.joinSubmit : t.resetSubmit}
        </button>
      </form>
    </main>
  )
}
