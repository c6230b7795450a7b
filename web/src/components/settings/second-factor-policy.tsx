import { useContext, useEffect, useState } from 'react'
import { api, call, errorText } from '../../api'
import { Alert } from '../field'
import { useT } from '../../i18n'
import { MeContext } from '../../me'

/**
 * Settings → Sign-in: whether every account must have a second factor (an authenticator app or
 * a passkey). Admins see it; only owners may change it (the worker says so too).
 */
export function SecondFactorPolicy() {
  const t = useT()
  const me = useContext(MeContext)
  const owner = me?.role === 'owner'
  const [required, setRequired] = useState<boolean | null>(null)
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    call(api.api.settings.security.$get())
      .then((r) => setRequired(r.security.requireSecondFactor))
      .catch((err: unknown) => setMessage({ kind: 'error', text: errorText(err) }))
  }, [])

  async function change(next: boolean) {
    setBusy(true)
    setMessage(null)
    try {
      const r = await call(api.api.settings.security.$put({ json: { requireSecondFactor: next } }))
      setRequired(r.security.requireSecondFactor)
      setMessage({ kind: 'success', text: t.policySaved })
    } catch (err) {
      setMessage({ kind: 'error', text: errorText(err) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card" aria-labelledby="second-factor-policy-title">
      <h2 id="second-factor-policy-title">{t.policyTitle}</h2>
      <p>{t.policyIntro}</p>
      {message ? <Alert kind={message.kind}>{message.text}</Alert> : null}
      {required !== null ? (
        <div className="choice">
          <input
            type="checkbox"
            id="require-second-factor"
            checked={required}
            disabled={!owner || busy}
            aria-describedby="require-second-factor-help"
            onChange={(e) => void change(e.target.checked)}
          />
          <label htmlFor="require-second-factor">{t.policyRequire}</label>
          <small id="require-second-factor-help" className="help">
            {owner ? t.policyHelp : t.policyOwnerOnly}
          </small>
        </div>
      ) : null}
    </section>
  )
}
