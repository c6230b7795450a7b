import { useState, type FormEvent } from 'react'
import { api, ApiFailure, call, errorText } from '../api'
import { ApiTokens } from '../components/api-tokens'
import { CardTable } from '../components/card-table'
import { TotpCard } from '../components/totp-card'
import { PasskeysCard } from '../components/passkeys-card'
import { Alert, Field } from '../components/field'
import { usePoll } from '../hooks/use-poll'
import { useT } from '../i18n'
import { formatAgo } from '../lib/format'
import { useTitle } from '../router'

/** Security: your own password and where you are signed in. */
export function SecurityPage() {
  const t = useT()
  useTitle(`${t.securityTitle} · ${t.appName}`)
  return (
    <section>
      <h1>{t.securityTitle}</h1>
      <TotpCard />
      <PasskeysCard />
      <Sessions />
      <ApiTokens />
      <ChangePassword />
    </section>
  )
}

function Sessions() {
  const t = useT()
  const { data, error, refresh } = usePoll(
    async () => (await call(api.api.auth.sessions.$get())).sessions,
    15_000,
  )
  const [note, setNote] = useState<string | null>(null)
  const [failure, setFailure] = useState<string | null>(null)
  async function run(action: () => Promise<unknown>, done?: string) {
    setFailure(null)
    try {
      await action()
      setNote(done ?? null)
      await refresh()
    } catch (err) {
      setFailure(errorText(err))
    }
  }
  const others = (data ?? []).filter((s) => !s.current).length
  return (
    <section className="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">{t.sessionsTitle}</h2>
      <p>{t.sessionsIntro}</p>
      {error || failure ? <Alert kind="error">{failure ?? error}</Alert> : null}
      {note ? <Alert kind="success">{note}</Alert> : null}
      {data ? (
        <CardTable columns={[t.colDevice, t.colAddress, t.colLastActive]} actions={t.actions}>
          {data.map((s) => (
            <tr key={s.id}>
              <td data-label={t.colDevice}>
                {s.current ? <strong>{t.thisBrowser}</strong> : null} {s.userAgent ?? '—'}
              </td>
              <td data-label={t.colAddress}>{s.ip ?? '—'}</td>
              <td data-label={t.colLastActive}>{formatAgo(s.lastSeenAt, t.lang)}</td>
              <td>
                {!s.current ? (
                  <button
                    type="button"
                    className="secondary small"
                    onClick={() =>
                      void run(() =>
                        call(api.api.auth.sessions[':id'].$delete({ param: { id: s.id } })),
                      )
                    }
                  >
                    {t.signOutSession}
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </CardTable>
      ) : null}
      {others > 0 ? (
        <button
          type="button"
          className="secondary"
          onClick={() =>
            void run(() => call(api.api.auth.sessions['end-others'].$post()), t.othersSignedOut)
          }
        >
          {t.signOutOthers}
        </button>
      ) : null}
    </section>
  )
}

function ChangePassword() {
  const t = useT()
  const [current, setCurrent] = useState('')
  const [next, setNext] = useState('')
  const [again, setAgain] = useState('')
  const [fields, setFields] = useState<Record<string, string>>({})
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(e: FormEvent) {
    e.preventDefault()
    setResult(null)
    if (next !== again) return setFields({ again: t.passwordsDiffer })
    setFields({})
    setBusy(true)
    try {
      await call(api.api.auth.password.$post({ json: { current, next } }))
      setCurrent('')
      setNext('')
      setAgain('')
      setResult({ ok: true, text: t.passwordChanged })
    } catch (err) {
      if (err instanceof ApiFailure && Object.keys(err.fields).length > 0) setFields(err.fields)
      else setResult({ ok: false, text: errorText(err) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="password-title">
      <h2 id="password-title">{t.changePasswordTitle}</h2>
      {result ? <Alert kind={result.ok ? 'success' : 'error'}>{result.text}</Alert> : null}
      <Field
        label={t.currentPassword}
        name="current"
        type="password"
        value={current}
        onChange={setCurrent}
        autoComplete="current-password"
        error={fields.current}
        required
      />
      <Field
        label={t.newPassword}
        name="next"
        type="password"
        value={next}
        onChange={setNext}
        autoComplete="new-password"
        error={fields.next}
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
        {t.changePassword}
      </button>
    </form>
  )
}
