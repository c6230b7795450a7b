import { useState } from 'react'
import type { Schedule, ScheduleAction, ScheduleWhen } from '../../../core/schedules'
import { DEFAULT_RETENTION } from '../../../core/schedules'
import { useT } from '../i18n'
import { Field, SelectField } from './field'

/** The browser's own time zone, what most admins mean. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
  } catch {
    return 'UTC'
  }
}

export function newSchedule(): Schedule {
  return {
    id: crypto.randomUUID(),
    action: 'backup',
    when: { every: 'day', at: '04:00' },
    timeZone: browserTimeZone(),
    enabled: true,
    keep: { ...DEFAULT_RETENTION },
  }
}

/**
 * One schedule being written: action, repeat, time (and day, or hours), time zone, and for a
 * backup how many to keep. `errors` are the server's, by field (`when.at`, `timeZone`, …).
 */
export function ScheduleForm(props: {
  initial: Schedule
  isNew: boolean
  errors: Record<string, string>
  busy: boolean
  onSave: (s: Schedule) => void
  onCancel: () => void
}) {
  const t = useT()
  const s = t.schedules
  const [draft, setDraft] = useState<Schedule>(props.initial)
  const w = draft.when
  const at = w.every === 'hours' ? '04:00' : w.at
  const setWhen = (when: ScheduleWhen) => setDraft({ ...draft, when })
  const setAction = (action: ScheduleAction) =>
    setDraft({
      ...draft,
      action,
      keep: action === 'backup' ? (draft.keep ?? { ...DEFAULT_RETENTION }) : undefined,
    })
  const count = (v: string) => (v === '' ? 0 : Math.max(0, Math.floor(Number(v))))
  return (
    <form
      className="schedule-form"
      aria-labelledby="schedule-form-title"
      onSubmit={(e) => {
        e.preventDefault()
        props.onSave(draft)
      }}
    >
      <h3 id="schedule-form-title">{props.isNew ? s.formTitleNew : s.formTitleEdit}</h3>
      <SelectField
        label={s.fieldAction}
        name="action"
        value={draft.action}
        options={(['backup', 'restart', 'stop', 'start'] as const).map((a) => ({
          value: a,
          label: s.action[a],
        }))}
        help={s.actionHelp[draft.action]}
        onChange={(v) => setAction(v as ScheduleAction)}
      />
      <SelectField
        label={s.fieldEvery}
        name="every"
        value={w.every}
        options={(['day', 'week', 'hours'] as const).map((e) => ({ value: e, label: s.every[e] }))}
        onChange={(v) =>
          setWhen(
            v === 'hours'
              ? { every: 'hours', hours: 6 }
              : v === 'week'
                ? { every: 'week', day: 0, at }
                : { every: 'day', at },
          )
        }
      />
      {w.every === 'week' ? (
        <SelectField
          label={s.fieldDay}
          name="day"
          value={String(w.day)}
          options={s.weekdays.map((label, i) => ({ value: String(i), label }))}
          onChange={(v) => setWhen({ ...w, day: Number(v) })}
        />
      ) : null}
      {w.every === 'hours' ? (
        <Field
          label={s.fieldHours}
          name="hours"
          type="number"
          inputMode="numeric"
          min={1}
          max={168}
          value={String(w.hours)}
          error={props.errors['when.hours']}
          onChange={(v) => setWhen({ every: 'hours', hours: count(v) })}
        />
      ) : (
        <Field
          label={s.fieldAt}
          name="at"
          type="time"
          value={w.at}
          error={props.errors['when.at']}
          onChange={(v) => setWhen({ ...w, at: v })}
        />
      )}
      {w.every !== 'hours' ? (
        <Field
          label={s.fieldTimeZone}
          name="timeZone"
          value={draft.timeZone}
          maxLength={64}
          help={s.timeZoneHelp}
          error={props.errors.timeZone}
          onChange={(v) => setDraft({ ...draft, timeZone: v.trim() })}
        />
      ) : null}
      {draft.action === 'backup' && draft.keep ? (
        <div className="field-pair">
          <Field
            label={s.fieldDaily}
            name="keepDaily"
            type="number"
            inputMode="numeric"
            min={0}
            max={366}
            value={String(draft.keep.daily)}
            error={props.errors['keep.daily']}
            onChange={(v) => setDraft({ ...draft, keep: { ...draft.keep!, daily: count(v) } })}
          />
          <Field
            label={s.fieldWeekly}
            name="keepWeekly"
            type="number"
            inputMode="numeric"
            min={0}
            max={520}
            value={String(draft.keep.weekly)}
            error={props.errors['keep.weekly']}
            onChange={(v) => setDraft({ ...draft, keep: { ...draft.keep!, weekly: count(v) } })}
          />
          <small className="help">{s.keepHelp}</small>
        </div>
      ) : null}
      <div className="form-actions">
        <button type="submit" disabled={props.busy}>
          {s.save}
        </button>
        <button type="button" className="secondary" onClick={props.onCancel} disabled={props.busy}>
          {s.cancel}
        </button>
      </div>
    </form>
  )
}
