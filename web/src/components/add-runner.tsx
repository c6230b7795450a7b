import { useEffect, useState, type FormEvent } from 'react'
import { api, ApiFailure, call, errorText } from '../api'
import { useT } from '../i18n'
import { CopyButton } from './copy-button'
import { Alert, Field } from './field'

export interface Registration {
  runnerId: string
  name: string
  command: string
  /** The by-hand install, one command a line. */
  manual: string[]
  expiresAt: number
}

/** How often we look for the new runner's first connection. */
const WAIT_POLL_MS = 1_500

/**
 * Add a runner: name it, get the one-line command with its one-time code (shown once), then wait
 * live until that runner connects.
 */
export function AddRunner(props: {
  registration: Registration | null
  onRegistration: (r: Registration | null) => void
  onOnline?: (runnerId: string) => void
  defaultName?: string
}) {
  const t = useT()
  const [name, setName] = useState(props.defaultName ?? '')
  const [error, setError] = useState<ApiFailure | string | null>(null)
  const [busy, setBusy] = useState(false)
  const reg = props.registration

  async function create(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const res = await call(api.api.runners.$post({ json: { name } }))
      props.onRegistration({
        runnerId: res.runner.id,
        name: res.runner.name,
        command: res.command,
        manual: res.manual,
        expiresAt: res.expiresAt,
      })
    } catch (err) {
      setError(err instanceof ApiFailure ? err : errorText(err))
    } finally {
      setBusy(false)
    }
  }

  if (!reg) {
    const fieldError = error instanceof ApiFailure ? error.fields.name : undefined
    return (
      <form onSubmit={create} noValidate className="add-runner">
        {error && !fieldError ? (
          <Alert kind="error">{error instanceof ApiFailure ? error.message : error}</Alert>
        ) : null}
        <Field
          label={t.runnerName}
          name="runnerName"
          value={name}
          onChange={setName}
          help={t.runnerNameHelp}
          error={fieldError}
          required
        />
        <button type="submit" disabled={busy}>
          {t.addRunner}
        </button>
      </form>
    )
  }
  return <RunnerCommand registration={reg} onOnline={props.onOnline} />
}

function RunnerCommand(props: {
  registration: Registration
  onOnline?: (runnerId: string) => void
}) {
  const t = useT()
  const { registration: reg, onOnline } = props
  const [state, setState] = useState<string>('awaiting_registration')
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const poll = async () => {
      try {
        const { runners } = await call(api.api.runners.$get())
        const mine = runners.find((r) => r.id === reg.runnerId)
        setError(null)
        if (mine) setState(mine.state)
        if (mine?.state === 'online') {
          onOnline?.(reg.runnerId)
          return
        }
      } catch (err) {
        setError(errorText(err))
      }
      if (!stopped) timer = setTimeout(() => void poll(), WAIT_POLL_MS)
    }
    void poll()
    return () => {
      stopped = true
      clearTimeout(timer)
    }
  }, [reg.runnerId, onOnline])

  return (
    <div className="runner-command">
      <Alert kind="info">{t.codeOnce}</Alert>
      <p>{t.runnerCommandIntro}</p>
      <div className="command">
        <code data-testid="runner-command">{reg.command}</code>
        <CopyButton text={reg.command} label={t.copyCommand} />
      </div>
      <p className="help">
        {t.codeExpires(new Date(reg.expiresAt).toLocaleTimeString(t.lang, { timeStyle: 'short' }))}{' '}
        {t.runnerInstallHint}
      </p>
      <details className="manual-install">
        <summary>{t.runnerManualTitle}</summary>
        <p className="help">{t.runnerManualIntro}</p>
        <div className="command">
          <pre data-testid="runner-manual">{reg.manual.join('\n')}</pre>
          <CopyButton text={reg.manual.join('\n')} label={t.copyCommand} />
        </div>
      </details>
      {error ? <Alert kind="error">{error}</Alert> : null}
      <p role="status" className={state === 'online' ? 'wait wait-ok' : 'wait'}>
        {state === 'online'
          ? t.runnerConnected(reg.name)
          : state === 'offline'
            ? t.runnerRegisteredWaiting
            : t.runnerWaiting}
      </p>
    </div>
  )
}
