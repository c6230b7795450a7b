import { useContext, useEffect, useState, type FormEvent } from 'react'
import { api, ApiFailure, call, errorText } from '../../api'
import { Alert, Field } from '../field'
import { useT } from '../../i18n'
import { MeContext } from '../../me'

type AccessView = Awaited<ReturnType<typeof loadAccess>>
const loadAccess = async () => call(api.api.settings.access.$get())

interface Form {
  enabled: boolean
  teamDomain: string
  audience: string
  passwordSignIn: boolean
}

/** A checkbox with its label and help line. */
function Check(props: {
  id: string
  label: string
  help: string
  checked: boolean
  disabled: boolean
  onChange: (checked: boolean) => void
}) {
  return (
    <div className="choice">
      <input
        type="checkbox"
        id={props.id}
        checked={props.checked}
        disabled={props.disabled}
        aria-describedby={`${props.id}-help`}
        onChange={(e) => props.onChange(e.target.checked)}
      />
      <label htmlFor={props.id}>{props.label}</label>
      <small id={`${props.id}-help`} className="help">
        {props.help}
      </small>
    </div>
  )
}

/**
 * Settings → Sign-in → Cloudflare Access: the team domain and audience tag the server checks
 * Access's token against, and whether the password form still works. Owners change it.
 */
export function AccessCard() {
  const t = useT()
  const owner = useContext(MeContext)?.role === 'owner'
  const [view, setView] = useState<AccessView | null>(null)
  const [form, setForm] = useState<Form | null>(null)
  const [fields, setFields] = useState<Record<string, string>>({})
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    loadAccess()
      .then((v) => {
        setView(v)
        setForm(v.access)
      })
      .catch((err: unknown) => setMessage({ kind: 'error', text: errorText(err) }))
  }, [])

  async function save(e: FormEvent) {
    e.preventDefault()
    if (!form) return
    setBusy(true)
    setMessage(null)
    setFields({})
    try {
      const json = { ...form, passwordSignIn: form.enabled ? form.passwordSignIn : true }
      const r = await call(api.api.settings.access.$put({ json }))
      setForm(r.access)
      setView(await loadAccess())
      setMessage({ kind: 'success', text: t.policySaved })
    } catch (err) {
      if (err instanceof ApiFailure) setFields(err.fields)
      setMessage({ kind: 'error', text: errorText(err) })
    } finally {
      setBusy(false)
    }
  }

  const set = (patch: Partial<Form>) => setForm((f) => (f ? { ...f, ...patch } : f))
  const locked = !owner || busy
  return (
    <section className="card" aria-labelledby="access-title">
      <h2 id="access-title">{t.accessTitle}</h2>
      <p>{t.accessIntro}</p>
      {view?.breakGlass ? <Alert kind="info">{t.accessBreakGlass}</Alert> : null}
      {view?.signedInAs ? <p>{t.accessSignedInAs(view.signedInAs)}</p> : null}
      {view && !view.tokenSeen ? <p className="help">{t.accessNotSeen}</p> : null}
      {message ? <Alert kind={message.kind}>{message.text}</Alert> : null}
      {form ? (
        <form onSubmit={(e) => void save(e)}>
          <Check
            id="access-enabled"
            label={t.accessEnabled}
            help={t.accessEnabledHelp}
            checked={form.enabled}
            disabled={locked}
            onChange={(enabled) => set({ enabled })}
          />
          <Field
            label={t.accessTeamDomain}
            name="teamDomain"
            value={form.teamDomain}
            onChange={(teamDomain) => set({ teamDomain })}
            placeholder="https://your-team.cloudflareaccess.com"
            help={t.accessTeamDomainHelp}
            error={fields.teamDomain}
            disabled={locked}
          />
          <Field
            label={t.accessAudience}
            name="audience"
            value={form.audience}
            onChange={(audience) => set({ audience })}
            help={t.accessAudienceHelp}
            error={fields.audience}
            disabled={locked}
          />
          <Check
            id="access-password"
            label={t.accessPasswordSignIn}
            help={t.accessPasswordSignInHelp}
            checked={form.enabled ? form.passwordSignIn : true}
            disabled={locked || !form.enabled}
            onChange={(passwordSignIn) => set({ passwordSignIn })}
          />
          {fields.enabled ? <Alert kind="error">{fields.enabled}</Alert> : null}
          {owner ? (
            <button type="submit" disabled={busy}>
              {t.save}
            </button>
          ) : (
            <p className="help">{t.policyOwnerOnly}</p>
          )}
        </form>
      ) : null}
    </section>
  )
}
