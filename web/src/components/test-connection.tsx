import { useState } from 'react'
import { api, call, errorText, type ConnectionTest } from '../api'
import { useT } from '../i18n'
import { Commands } from './commands'
import { Alert } from './field'

/** "Test connection" through a runner, with each check's result. */
export function TestConnection(props: { onResult?: (r: ConnectionTest) => void }) {
  const t = useT()
  const [result, setResult] = useState<ConnectionTest | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function test() {
    setBusy(true)
    setError(null)
    setResult(null)
    try {
      const r = await call(api.api.settings.proxmox.test.$post())
      setResult(r)
      props.onResult?.(r)
    } catch (err) {
      setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="test-connection">
      <button type="button" disabled={busy} onClick={() => void test()}>
        {busy ? t.testing : t.testConnection}
      </button>
      {error ? <Alert kind="error">{error}</Alert> : null}
      {result ? <ConnectionChecks result={result} /> : null}
    </div>
  )
}

/** Each check's verdict, message and how to fix it. */
export function ConnectionChecks(props: { result: ConnectionTest }) {
  const t = useT()
  return (
    <section aria-label={t.testResults}>
      <p role="status">{t.testedFrom(props.result.name)}</p>
      <ul className="checks">
        {props.result.checks.map((c) => (
          <li key={c.name} className={c.ok ? 'check ok' : 'check bad'}>
            <strong>
              {c.ok ? '✓' : '✗'} {c.name}
            </strong>{' '}
            <span className="sr-only">{c.ok ? t.checkOk : t.checkFailed}</span>
            {c.message}
            {c.fix ? <p className="help">{c.fix}</p> : null}
            {c.commands?.length ? <Commands commands={c.commands} /> : null}
          </li>
        ))}
      </ul>
    </section>
  )
}
