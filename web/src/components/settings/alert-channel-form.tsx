import { useId, useState, type FormEvent } from 'react'
import {
  ALERT_CHANNEL_KINDS,
  ALERT_EVENTS,
  type AlertChannelKind,
  type AlertChannelView,
  type AlertEventType,
} from '../../../../core/alerts'
import { api, ApiFailure, call, errorText } from '../../api'
import { Alert, CheckboxField, ErrorText, Field, SelectField } from '../field'
import { useT } from '../../i18n'

/**
 * Add or edit one alert channel. The address and secret are write-only: when editing, empty
 * fields keep what is saved. Returns a generated signing secret to the parent, shown once.
 */
export function AlertChannelForm(props: {
  channel: AlertChannelView | null
  onSaved: (generatedSecret: string | null) => void
  onCancel: () => void
}) {
  const t = useT()
  const a = t.alerts
  const editing = props.channel
  const [name, setName] = useState(editing?.name ?? '')
  const [kind, setKind] = useState<AlertChannelKind>(editing?.kind ?? 'discord')
  const [url, setUrl] = useState('')
  const [secret, setSecret] = useState('')
  const [events, setEvents] = useState<AlertEventType[]>(editing?.events ?? [...ALERT_EVENTS])
  const [fields, setFields] = useState<Record<string, string>>({})
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const headingId = useId()

  function toggle(event: AlertEventType, on: boolean) {
    setEvents((list) => (on ? [...list, event] : list.filter((e) => e !== event)))
  }

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setError(null)
    setFields({})
    try {
      const withSecret = kind === 'webhook' && secret ? { signingSecret: secret } : {}
      if (editing) {
        await call(
          api.api.alerts.channels[':id'].$put({
            param: { id: editing.id },
            json: { name, events, ...(url ? { url } : {}), ...withSecret },
          }),
        )
        props.onSaved(null)
      } else {
        const res = await call(
          api.api.alerts.channels.$post({ json: { name, kind, url, events, ...withSecret } }),
        )
        props.onSaved(res.signingSecret)
      }
    } catch (err) {
      if (err instanceof ApiFailure && Object.keys(err.fields).length > 0) setFields(err.fields)
      else setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form onSubmit={submit} className="alert-channel-form" aria-labelledby={headingId}>
      <h3 id={headingId}>{editing ? a.editTitle(editing.name) : a.newTitle}</h3>
      {error ? (
        <Alert kind="error">
          <ErrorText text={error} />
        </Alert>
      ) : null}
      <Field
        label={a.name}
        name="name"
        value={name}
        onChange={setName}
        error={fields.name}
        required
        maxLength={60}
      />
      {editing ? null : (
        <SelectField
          label={a.kind}
          name="kind"
          value={kind}
          onChange={(v) => setKind(v as AlertChannelKind)}
          options={ALERT_CHANNEL_KINDS.map((k) => ({ value: k, label: a.kinds[k] }))}
        />
      )}
      <Field
        label={a.url}
        name="url"
        type="url"
        value={url}
        onChange={setUrl}
        error={fields.url}
        required={!editing}
        autoComplete="off"
        help={editing ? a.urlKeep : kind === 'discord' ? a.urlHelpDiscord : a.urlHelpWebhook}
      />
      {kind === 'webhook' ? (
        <Field
          label={a.secret}
          name="signingSecret"
          type="password"
          value={secret}
          onChange={setSecret}
          error={fields.signingSecret}
          autoComplete="new-password"
          help={editing ? a.urlKeep : a.secretHelp}
        />
      ) : null}
      <fieldset>
        <legend>{a.events}</legend>
        {ALERT_EVENTS.map((ev) => (
          <CheckboxField
            key={ev}
            name={`event-${ev}`}
            label={a.eventNames[ev] ?? ev}
            checked={events.includes(ev)}
            onChange={(on) => toggle(ev, on)}
          />
        ))}
      </fieldset>
      <div className="actions">
        <button type="submit" disabled={busy}>
          {a.save}
        </button>
        <button type="button" className="secondary" onClick={props.onCancel}>
          {a.cancel}
        </button>
      </div>
    </form>
  )
}
