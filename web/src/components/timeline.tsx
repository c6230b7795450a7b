import { useEffect, useState } from 'react'
import type { StepView } from '../../../core/protocol'
import { useT } from '../i18n'
import { formatDuration } from '../lib/format'

/** Re-renders every second while `active`, for running steps' elapsed time. */
function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (!active) return
    const timer = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(timer)
  }, [active])
  return now
}

/** The deployment's steps, in order, each with its status, time and error. */
export function Timeline(props: {
  steps: readonly StepView[]
  /** A deployment made from a backup: its VM is restored, not cloned. */
  restored?: boolean
}) {
  const t = useT()
  const now = useNow(props.steps.some((s) => s.status === 'running'))
  if (props.steps.length === 0) return <p className="muted">{t.stepsNone}</p>
  return (
    <ol className="timeline" aria-label={t.stepsTitle}>
      {props.steps.map((s) => {
        const label =
          props.restored && s.name === 'clone'
            ? t.stepCloneRestored
            : ((t.steps as Record<string, string>)[s.name] ?? s.name)
        const time =
          s.status === 'running' && s.startedAt
            ? t.elapsed(formatDuration(now - s.startedAt))
            : s.startedAt && s.endedAt
              ? formatDuration(s.endedAt - s.startedAt)
              : ''
        return (
          <li key={s.name} className={`step step-${s.status}`} data-step={s.name}>
            <span className="step-icon" aria-hidden="true" />
            <div className="step-body">
              <div className="step-head">
                <span className="step-name">{label}</span>
                <span className="step-status">{t.stepStatus[s.status]}</span>
                {time ? <span className="step-time">{time}</span> : null}
                {s.attempt > 1 ? <span className="step-time">{t.attempt(s.attempt)}</span> : null}
              </div>
              {s.error ? (
                <div className="step-error">
                  <p>{s.error.message}</p>
                  {s.error.detail ? <pre>{s.error.detail}</pre> : null}
                </div>
              ) : null}
            </div>
          </li>
        )
      })}
    </ol>
  )
}
