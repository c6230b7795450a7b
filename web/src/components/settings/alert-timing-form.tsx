import { useEffect, useState, type FormEvent } from 'react'
import { api, ApiFailure, call, errorText } from '../../api'
import { Alert, ErrorText, Field } from '../field'
import { useT } from '../../i18n'

/**
 * How long a ready server may not answer, and a runner stay away, before an alert goes out. A
 * restart or a short network blip inside these waits sends nothing.
 */
export function AlertTimingForm() {
  const t = useT()
  const a = t.alerts
  const [grace, setGrace] = useState('')
  const [offline, setOffline] = useState('')
  const [fields, setFields] = useState<Record<string, string>>({})
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    call(api.api.alerts.timing.$get())
      .then(({ timing }) => {
        setGrace(String(timing.serverDownGraceMinutes))
        setOffline(String(timing.runnerOfflineMinutes))
      })
      .catch((err: unknown) => setMessage({ kind: 'error', text: errorText(err) }))
  }, [])

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setFields({})
    setMessage(null)
    try {
      await call(
        api.api.alerts.timing.$put({
          json: {
            serverDownGraceMinutes: Number(grace),
            runnerOfflineMinutes: Number(offline),
          },
        }),
      )
      setMessage({ kind: 'success', text: a.saved })
    } catch (err) {
      if (err instanceof ApiFailure && Object.keys(err.fields).length > 0) setFields(err.fields)
      else setMessage({ kind: 'error', text: errorText(err) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form onSubmit={submit} className="alert-timing" aria-label={a.timingTitle}>
      <h3>{a.timingTitle}</h3>
      {message ? (
        <Alert kind={message.kind}>
          <ErrorText text={message.text} />
        </Alert>
      ) : null}
      <div className="field-row">
        <Field
          label={a.graceLabel}
          name="serverDownGraceMinutes"
          type="number"
          inputMode="numeric"
          min={1}
          max={120}
          value={grace}
          onChange={setGrace}
          error={fields.serverDownGraceMinutes}
          help={a.graceHelp}
          required
        />
        <Field
          label={a.offlineLabel}
          name="runnerOfflineMinutes"
          type="number"
          inputMode="numeric"
          min={1}
          max={1440}
          value={offline}
          onChange={setOffline}
          error={fields.runnerOfflineMinutes}
          help={a.offlineHelp}
          required
        />
      </div>
      <div className="actions">
        <button type="submit" disabled={busy || grace === ''}>
          {a.saveTiming}
        </button>
      </div>
    </form>
  )
}
