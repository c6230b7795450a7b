import { useCallback, useEffect, useState } from 'react'
import type { DeploymentStatus } from '../../../core/deployment/status'
import type { LastJob } from '../../../core/protocol'
import type { Schedule, ScheduleState } from '../../../core/schedules'
import { api, ApiFailure, call, errorText } from '../api'
import { useT } from '../i18n'
import type { Dict } from '../i18n/en'
import { formatTime } from '../lib/format'
import { CardTable } from './card-table'
import { ConfirmButton } from './confirm-button'
import { Alert } from './field'
import { newSchedule, ScheduleForm } from './schedule-form'

type S = Dict['schedules']

/** What the schedule does and when, in one line. */
export function describeSchedule(x: Schedule, s: S): string {
  const w = x.when
  const when =
    w.every === 'hours'
      ? s.whenHours(w.hours)
      : w.every === 'week'
        ? s.whenWeek(s.weekdays[w.day] ?? '', w.at, x.timeZone)
        : s.whenDay(w.at, x.timeZone)
  const keep = x.keep ? `; ${s.keeps(x.keep.daily, x.keep.weekly)}` : ''
  return `${s.action[x.action]} — ${when}${keep}`
}

/** The reducer's reasons (English) in the dashboard's language; a job's own error as it is. */
function reasonText(reason: string, s: S): string {
  const busy = /^the deployment was busy for over (\d+) minutes$/.exec(reason)
  if (busy) return s.reason.busy(Number(busy[1]))
  if (reason === 'the server was already stopped') return s.reason.stopped
  if (reason === 'the server was already running') return s.reason.running
  const status = /^the deployment was (\w+)$/.exec(reason)
  if (status) return s.reason.status(status[1]!)
  return reason
}

/** A schedule as listed: a deployment's with its runs, or a default (Settings) without. */
type Listed = Schedule & Partial<Pick<ScheduleState, 'nextAt' | 'last' | 'anchor'>>

function lastRunText(x: Listed, s: S, lang: string): string {
  const last = x.last
  if (!last) return s.never
  const parts = [`${s.outcome[last.outcome]} (${formatTime(last.dueAt, lang)})`]
  const lateMin = last.startedAt ? Math.round((last.startedAt - last.dueAt) / 60_000) : 0
  if (lateMin >= 2) parts.push(s.late(lateMin))
  if (last.reason) parts.push(reasonText(last.reason, s))
  return parts.join(' — ')
}

/** The fields of the schedule at `index` in the server's errors (`schedules.2.when.at` → `when.at`). */
function fieldsOf(err: unknown, index: number): Record<string, string> {
  if (!(err instanceof ApiFailure)) return {}
  const prefix = `schedules.${index}.`
  return Object.fromEntries(
    Object.entries(err.fields)
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, v]) => [k.slice(prefix.length), v]),
  )
}

const strip = ({ id, action, when, timeZone, enabled, keep }: Listed): Schedule => ({
  id,
  action,
  when,
  timeZone,
  enabled,
  ...(keep ? { keep } : {}),
})

/**
 * A deployment's scheduled actions: what runs when, the next run, how the last one went (late,
 * missed, failed and why); add, edit, pause and remove. Saved as a whole list, read again when the
 * deployment's last job changes (a scheduled run ended).
 */
export function Schedules(props: {
  id: string
  status: DeploymentStatus
  lastJob: LastJob | null | undefined
}) {
  const { id } = props
  const load = useCallback(
    () => call(api.api.deployments[':id'].schedules.$get({ param: { id } })),
    [id],
  )
  const save = useCallback(
    (schedules: Schedule[]) =>
      call(api.api.deployments[':id'].schedules.$put({ param: { id }, json: { schedules } })),
    [id],
  )
  return (
    <ScheduleList
      load={load}
      save={save}
      reloadOn={`${props.status}:${props.lastJob?.endedAt ?? ''}`}
      disabled={props.status === 'destroyed'}
    />
  )
}

/** The schedules every new deployment starts with (Settings). */
export function DefaultSchedules() {
  const load = useCallback(() => call(api.api.settings.schedules.$get()), [])
  const save = useCallback(
    (schedules: Schedule[]) => call(api.api.settings.schedules.$put({ json: { schedules } })),
    [],
  )
  return <ScheduleList defaults load={load} save={save} reloadOn="" disabled={false} />
}

function ScheduleList(props: {
  /** Settings' defaults: no runs to show. */
  defaults?: boolean
  load: () => Promise<{ schedules: Listed[] }>
  save: (schedules: Schedule[]) => Promise<{ schedules: Listed[] }>
  /** Read again when this changes (a scheduled run ended). */
  reloadOn: string
  disabled: boolean
}) {
  const t = useT()
  const s = t.schedules
  const [list, setList] = useState<Listed[] | null>(null)
  const [loadError, setLoadError] = useState<string | null>(null)
  const [editing, setEditing] = useState<{ schedule: Schedule; isNew: boolean } | null>(null)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null)
  const [busy, setBusy] = useState(false)
  const { load: read, save: write, reloadOn } = props

  const load = useCallback(async () => {
    try {
      const r = await read()
      setList(r.schedules)
      setLoadError(null)
    } catch (err) {
      setLoadError(errorText(err))
    }
  }, [read])

  useEffect(() => {
    void load()
  }, [load, reloadOn])

  async function save(next: Schedule[], editedIndex: number | null) {
    setBusy(true)
    setMessage(null)
    try {
      const r = await write(next)
      setList(r.schedules)
      setEditing(null)
      setErrors({})
      setMessage({ kind: 'success', text: s.saved })
    } catch (err) {
      const fields = editedIndex === null ? {} : fieldsOf(err, editedIndex)
      setErrors(fields)
      if (Object.keys(fields).length === 0) setMessage({ kind: 'error', text: errorText(err) })
    } finally {
      setBusy(false)
    }
  }

  const current = (list ?? []).map(strip)
  const titleId = props.defaults ? 'default-schedules-title' : 'schedules-title'
  return (
    <section
      className={props.defaults ? 'card default-schedules' : 'card schedules'}
      aria-labelledby={titleId}
    >
      <div className="card-head">
        <h2 id={titleId}>{props.defaults ? s.defaultsTitle : s.title}</h2>
        <button
          type="button"
          className="secondary"
          disabled={editing !== null || list === null || props.disabled}
          onClick={() => {
            setErrors({})
            setMessage(null)
            setEditing({ schedule: newSchedule(), isNew: true })
          }}
        >
          {s.add}
        </button>
      </div>
      <p className="help">{props.defaults ? s.defaultsIntro : s.intro}</p>
      {message ? <Alert kind={message.kind}>{message.text}</Alert> : null}
      {loadError ? <Alert kind="error">{s.unavailable(loadError)}</Alert> : null}
      {list === null && !loadError ? <p className="muted">{s.loading}</p> : null}
      {editing ? (
        <ScheduleForm
          key={editing.schedule.id}
          initial={editing.schedule}
          isNew={editing.isNew}
          errors={errors}
          busy={busy}
          onCancel={() => setEditing(null)}
          onSave={(x) => {
            const index = current.findIndex((c) => c.id === x.id)
            const next = index < 0 ? [...current, x] : current.map((c) => (c.id === x.id ? x : c))
            void save(next, index < 0 ? next.length - 1 : index)
          }}
        />
      ) : null}
      {list !== null && list.length === 0 && !editing ? (
        <p className="muted" data-testid="schedules-empty">
          {s.empty}
        </p>
      ) : null}
      {list !== null && list.length > 0 ? (
        <CardTable
          columns={props.defaults ? [s.colWhen] : [s.colWhen, s.colNext, s.colLast]}
          actions={t.actions}
        >
          {list.map((x, i) => {
            const what = describeSchedule(x, s)
            const next = !x.enabled
              ? s.disabled
              : x.nextAt == null
                ? '—'
                : x.nextAt <= Date.now()
                  ? s.nextWaiting
                  : formatTime(x.nextAt, t.lang)
            return (
              <tr key={x.id} data-schedule={x.id}>
                <td data-label={s.colWhen}>
                  {what}
                  {props.defaults && !x.enabled ? ` (${s.disabled})` : ''}
                </td>
                {props.defaults ? null : (
                  <>
                    <td data-label={s.colNext}>{next}</td>
                    <td
                      data-label={s.colLast}
                      className={
                        x.last?.outcome === 'failed' || x.last?.outcome === 'missed'
                          ? 'error'
                          : undefined
                      }
                    >
                      {lastRunText(x, s, t.lang)}
                    </td>
                  </>
                )}
                <td className="row-actions">
                  <button
                    type="button"
                    className="secondary"
                    aria-label={s.editLabel(what)}
                    disabled={busy || editing !== null}
                    onClick={() => {
                      setErrors({})
                      setEditing({ schedule: current[i]!, isNew: false })
                    }}
                  >
                    {s.edit}
                  </button>
                  <button
                    type="button"
                    className="secondary"
                    disabled={busy || editing !== null}
                    onClick={() =>
                      void save(
                        current.map((c) => (c.id === x.id ? { ...c, enabled: !c.enabled } : c)),
                        null,
                      )
                    }
                  >
                    {x.enabled ? s.pause : s.resume}
                  </button>
                  <ConfirmButton
                    danger
                    label={s.remove}
                    ariaLabel={s.removeLabel(what)}
                    title={s.removeTitle(what)}
                    body={<p>{s.removeBody}</p>}
                    confirmLabel={s.remove}
                    disabled={busy || editing !== null}
                    focusAfter={() => document.getElementById(titleId)}
                    onConfirm={() =>
                      save(
                        current.filter((c) => c.id !== x.id),
                        null,
                      )
                    }
                  />
                </td>
              </tr>
            )
          })}
        </CardTable>
      ) : null}
    </section>
  )
}
