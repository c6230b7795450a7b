import { useCallback, useEffect, useState } from 'react'
import type { AlertChannelView } from '../../../../core/alerts'
import { api, call, errorText } from '../../api'
import { Alert, ErrorText } from '../field'
import { useT } from '../../i18n'
import { AlertChannelForm } from './alert-channel-form'
import { AlertTimingForm } from './alert-timing-form'

type Message = { kind: 'error' | 'success' | 'info'; text: string }

function Note(props: { message: Message | null }) {
  if (!props.message) return null
  return (
    <Alert kind={props.message.kind}>
      <ErrorText text={props.message.text} />
    </Alert>
  )
}

/** One channel's last deliveries: when, what, how it went, which attempt. */
function DeliveryLog(props: { log: AlertChannelView['log'] }) {
  const t = useT()
  const a = t.alerts
  if (props.log.length === 0) return <p>{a.logEmpty}</p>
  return (
    <div className="table-wrap">
      <table className="cards">
        <thead>
          <tr>
            <th>{a.colTime}</th>
            <th>{a.colEvent}</th>
            <th>{a.colResult}</th>
            <th>{a.colAttempt}</th>
          </tr>
        </thead>
        <tbody>
          {props.log.slice(0, 10).map((e, i) => (
            <tr key={`${e.at}-${i}`}>
              <td data-label={a.colTime}>{new Date(e.at).toLocaleString(t.lang)}</td>
              <td data-label={a.colEvent}>
                {e.event === 'test' ? a.testEvent : (a.eventNames[e.event] ?? e.event)}
              </td>
              <td data-label={a.colResult}>
                {e.error ? (
                  <span className="failed">
                    <ErrorText text={e.error} />
                  </span>
                ) : (
                  a.delivered(e.status)
                )}
              </td>
              <td data-label={a.colAttempt}>{e.attempt}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** Settings → Alerts: the channels, their events, a test, and what was sent. */
export function AlertsCard() {
  const t = useT()
  const a = t.alerts
  const [channels, setChannels] = useState<AlertChannelView[] | null>(null)
  const [editing, setEditing] = useState<AlertChannelView | 'new' | null>(null)
  const [message, setMessage] = useState<Message | null>(null)
  const [busy, setBusy] = useState<string | null>(null)
  // A test's outcome is shown in its channel, where the button was.
  const [tested, setTested] = useState<{ id: string; message: Message } | null>(null)

  const load = useCallback(async () => {
    try {
      setChannels((await call(api.api.alerts.channels.$get())).channels)
    } catch (err) {
      setMessage({ kind: 'error', text: errorText(err) })
    }
  }, [])
  useEffect(() => void load(), [load])

  async function test(ch: AlertChannelView) {
    setBusy(ch.id)
    setMessage(null)
    setTested(null)
    try {
      const r = await call(api.api.alerts.channels[':id'].test.$post({ param: { id: ch.id } }))
      setTested({
        id: ch.id,
        message: r.ok
          ? { kind: 'success', text: a.testOk(r.status) }
          : { kind: 'error', text: a.testFailed(r.error ?? '') },
      })
    } catch (err) {
      setTested({ id: ch.id, message: { kind: 'error', text: errorText(err) } })
    } finally {
      setBusy(null)
      await load()
    }
  }

  async function remove(ch: AlertChannelView) {
    if (!confirm(a.removeConfirm(ch.name))) return
    setBusy(ch.id)
    try {
      await call(api.api.alerts.channels[':id'].$delete({ param: { id: ch.id } }))
      setMessage(null)
    } catch (err) {
      setMessage({ kind: 'error', text: errorText(err) })
    } finally {
      setBusy(null)
      await load()
    }
  }

  function saved(secret: string | null) {
    setEditing(null)
    setMessage(
      secret
        ? { kind: 'info', text: `${a.secretShown} ${secret}` }
        : { kind: 'success', text: a.saved },
    )
    void load()
  }

  return (
    <section className="card" aria-labelledby="alerts-title" id="alerts">
      <h2 id="alerts-title">{a.title}</h2>
      <p>{a.intro}</p>
      <AlertTimingForm />
      <Note message={message} />
      {channels === null ? <p>{a.loading}</p> : channels.length === 0 ? <p>{a.empty}</p> : null}
      {channels?.map((ch) =>
        editing !== 'new' && editing?.id === ch.id ? (
          <AlertChannelForm
            key={ch.id}
            channel={ch}
            onSaved={saved}
            onCancel={() => setEditing(null)}
          />
        ) : (
          <article key={ch.id} className="alert-channel" aria-label={ch.name}>
            <h3>
              {ch.name} <small>· {a.kinds[ch.kind]}</small>
            </h3>
            <p>
              <code>{ch.urlHint}</code>
            </p>
            <p>
              <span className="help">{a.sendsWhen} </span>
              {ch.events.map((e) => a.eventNames[e] ?? e).join(', ') || a.noEvent}
            </p>
            <div className="actions">
              <button type="button" disabled={busy === ch.id} onClick={() => void test(ch)}>
                {a.sendTest}
              </button>
              <button type="button" className="secondary" onClick={() => setEditing(ch)}>
                {a.edit}
              </button>
              <button
                type="button"
                className="secondary"
                disabled={busy === ch.id}
                onClick={() => void remove(ch)}
              >
                {a.remove}
              </button>
            </div>
            <Note message={tested?.id === ch.id ? tested.message : null} />
            <h4>{a.log}</h4>
            <DeliveryLog log={ch.log} />
          </article>
        ),
      )}
      {editing === 'new' ? (
        <AlertChannelForm channel={null} onSaved={saved} onCancel={() => setEditing(null)} />
      ) : (
        <button type="button" onClick={() => setEditing('new')}>
          {a.add}
        </button>
      )}
    </section>
  )
}
