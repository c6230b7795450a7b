import { useEffect, useId, useState, type FormEvent } from 'react'
import type { CleanupPolicy } from '../../../../core/settings'
import { api, call, errorText } from '../../api'
import { Alert } from '../field'
import { useT } from '../../i18n'

/** One radio of a policy group: its label, and help text read with it. */
/** A group of radio buttons, each with its own help line. */
function Choices<V extends string>(props: {
  legend: string
  name: string
  value: V
  options: { value: V; label: string; help: string }[]
  onChange: (value: V) => void
}) {
  const id = useId()
  return (
    <fieldset>
      <legend>{props.legend}</legend>
      {props.options.map((o, i) => (
        <div className="choice" key={o.value}>
          <input
            type="radio"
            id={`${id}-${i}`}
            name={props.name}
            value={o.value}
            checked={props.value === o.value}
            aria-describedby={`${id}-${i}-help`}
            onChange={() => props.onChange(o.value)}
          />
          <label htmlFor={`${id}-${i}`}>{o.label}</label>
          <small id={`${id}-${i}-help`} className="help">
            {o.help}
          </small>
        </div>
      ))}
    </fieldset>
  )
}

/** Settings → Cleanup: what happens to a failed deployment's VM and to orphaned VMs. */
export function CleanupForm() {
  const t = useT()
  const [policy, setPolicy] = useState<CleanupPolicy | null>(null)
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    call(api.api.settings.cleanup.$get())
      .then((r) => {
        setPolicy(r.cleanup)
        // Arriving from a "Settings → Cleanup" link: bring the section into view.
        if (location.hash === '#cleanup') {
          requestAnimationFrame(() => document.getElementById('cleanup')?.scrollIntoView())
        }
      })
      .catch((err: unknown) => setMessage({ kind: 'error', text: errorText(err) }))
  }, [])

  async function submit(e: FormEvent) {
    e.preventDefault()
    if (!policy) return
    setBusy(true)
    setMessage(null)
    try {
      setPolicy((await call(api.api.settings.cleanup.$put({ json: policy }))).cleanup)
      setMessage({ kind: 'success', text: t.cleanupSaved })
    } catch (err) {
      setMessage({ kind: 'error', text: errorText(err) })
    } finally {
      setBusy(false)
    }
  }

  const change = (key: keyof CleanupPolicy) => (value: string) => {
    setMessage(null)
    setPolicy((p) => (p ? ({ ...p, [key]: value } as CleanupPolicy) : p))
  }

  return (
    <section className="card" aria-labelledby="cleanup-title" id="cleanup">
      <h2 id="cleanup-title">{t.cleanupTitle}</h2>
      <p>{t.cleanupIntro}</p>
      {policy ? (
        <form onSubmit={submit} className="cleanup">
          <Choices
            legend={t.cleanupOnFailure}
            name="onFailure"
            value={policy.onFailure}
            options={[
              { value: 'keep', label: t.cleanupKeep, help: t.cleanupKeepHelp },
              { value: 'destroy', label: t.cleanupDestroyFailed, help: t.cleanupDestroyFailedHelp },
            ]}
            onChange={change('onFailure')}
          />
          <Choices
            legend={t.cleanupOrphans}
            name="orphans"
            value={policy.orphans}
            options={[
              { value: 'report', label: t.cleanupReport, help: t.cleanupReportHelp },
              { value: 'destroy', label: t.cleanupAuto, help: t.cleanupAutoHelp },
            ]}
            onChange={change('orphans')}
          />
          {message ? <Alert kind={message.kind}>{message.text}</Alert> : null}
          <button type="submit" disabled={busy}>
            {t.save}
          </button>
        </form>
      ) : message ? (
        <Alert kind={message.kind}>{message.text}</Alert>
      ) : (
        <p className="loading">{t.loading}</p>
      )}
    </section>
  )
}
