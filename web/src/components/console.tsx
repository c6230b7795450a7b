import { useCallback, useEffect, useState, type FormEvent } from 'react'
import type { ConsoleEntry } from '../../../core/console'
import { getGame } from '../../../core/games'
import type { QuickAction } from '../../../core/games/types'
import { api, ApiFailure, call, errorText } from '../api'
import { useT } from '../i18n'
import { formatTime } from '../lib/format'
import { gameName } from '../lib/games'
import { Alert, Field } from './field'

type Info = {
  available: boolean
  unavailable: { code: string; message: string } | null
  quickActions: readonly string[]
  commandMax: number
  history: ConsoleEntry[]
}

const PLAYER_ACTIONS: QuickAction[] = ['whitelist_add', 'whitelist_remove', 'op', 'deop']

/**
 * The game's console: a command line, quick actions (say, list, whitelist, operators) and the
 * recent commands with their answers, newest first. A game without a console says so, in words
 * the admin can act on; so does a server deployed with its console off.
 */
export function Console(props: { id: string; game: string }) {
  const t = useT()
  const c = t.console
  const [info, setInfo] = useState<Info | null>(null)
  const [loadError, setLoadError] = useState<string | null>(null)
  const [command, setCommand] = useState('')
  const [player, setPlayer] = useState('')
  const [message, setMessage] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [fieldError, setFieldError] = useState<{ field: string; text: string } | null>(null)
  const param = { param: { id: props.id } }

  const load = useCallback(async () => {
    try {
      setInfo(await call(api.api.deployments[':id'].console.$get({ param: { id: props.id } })))
    } catch (err) {
      setLoadError(errorText(err))
    }
  }, [props.id])
  useEffect(() => {
    void load()
  }, [load])

  const playerName = getGame(props.game)?.console?.playerName ?? /^$/

  async function send(
    body: { command: string } | { action: QuickAction; arg?: string },
    field: string,
  ) {
    setBusy(true)
    setError(null)
    setFieldError(null)
    try {
      const { entry } = await call(
        api.api.deployments[':id'].console.$post({ ...param, json: body }),
      )
      setInfo((prev) => (prev ? { ...prev, history: [...prev.history, entry] } : prev))
      if ('command' in body) setCommand('')
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 400) {
        setFieldError({
          field,
          text: field === 'command' ? c.commandHelp(info?.commandMax ?? 256) : c.playerHelp,
        })
      } else if (err instanceof ApiFailure && err.code === 'not_ready') setError(c.notReady)
      else setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  function onCommand(e: FormEvent) {
    e.preventDefault()
    if (command.trim() === '') return
    void send({ command }, 'command')
  }

  function quick(action: QuickAction) {
    if (PLAYER_ACTIONS.includes(action)) {
      if (!playerName.test(player.trim())) {
        setFieldError({ field: 'player', text: c.playerHelp })
        return
      }
      void send({ action, arg: player.trim() }, 'player')
    } else if (action === 'say') {
      if (message.trim() === '') return setFieldError({ field: 'message', text: c.message })
      void send({ action, arg: message.trim() }, 'message')
    } else void send({ action }, 'command')
  }

  if (loadError) return <Alert kind="error">{loadError}</Alert>
  if (!info) return <p className="loading">{t.loading}</p>
  const code = info.unavailable?.code
  return (
    <section className="card console" aria-labelledby="console-title">
      <h2 id="console-title">{c.title}</h2>
      {code === 'no_console' ? (
        <Alert kind="info">{c.noConsole(gameName(props.game))}</Alert>
      ) : code === 'console_off' ? (
        <Alert kind="info">{c.consoleOff}</Alert>
      ) : code === 'not_ready' ? (
        <Alert kind="info">{c.notReady}</Alert>
      ) : (
        <>
          <p className="muted">{c.intro}</p>
          <form className="console-line" onSubmit={onCommand}>
            <Field
              label={c.commandLabel}
              name="command"
              value={command}
              onChange={setCommand}
              maxLength={info.commandMax}
              autoComplete="off"
              help={c.commandHelp(info.commandMax)}
              error={fieldError?.field === 'command' ? fieldError.text : undefined}
            />
            <button type="submit" disabled={busy || command.trim() === ''}>
              {busy ? c.sending : c.send}
            </button>
          </form>
          <h3>{c.quickTitle}</h3>
          <div className="console-quick">
            <Field
              label={c.message}
              name="message"
              value={message}
              onChange={setMessage}
              maxLength={200}
              error={fieldError?.field === 'message' ? fieldError.text : undefined}
            />
            <button
              type="button"
              className="secondary"
              disabled={busy}
              onClick={() => quick('say')}
            >
              {c.quick.say}
            </button>
            <button
              type="button"
              className="secondary"
              disabled={busy}
              onClick={() => quick('list')}
            >
              {c.quick.list}
            </button>
          </div>
          <div className="console-quick">
            <Field
              label={c.player}
              name="player"
              value={player}
              onChange={setPlayer}
              maxLength={16}
              autoComplete="off"
              help={c.playerHelp}
              error={fieldError?.field === 'player' ? fieldError.text : undefined}
            />
            {PLAYER_ACTIONS.map((a) => (
              <button
                key={a}
                type="button"
                className="secondary"
                disabled={busy}
                onClick={() => quick(a)}
              >
                {c.quick[a]}
              </button>
            ))}
          </div>
          {error ? <Alert kind="error">{error}</Alert> : null}
        </>
      )}
      {code === 'no_console' ? null : <History entries={info.history} />}
    </section>
  )
}

function History(props: { entries: ConsoleEntry[] }) {
  const t = useT()
  const c = t.console
  return (
    <>
      <h3>{c.historyTitle}</h3>
      {props.entries.length === 0 ? (
        <p className="muted">{c.historyEmpty}</p>
      ) : (
        <ol className="console-history" aria-live="polite">
          {[...props.entries].reverse().map((e) => (
            <li key={`${e.at}-${e.command}`} className={e.error ? 'console-failed' : undefined}>
              <div className="console-meta muted">{c.by(e.by, formatTime(e.at, t.lang))}</div>
              <code className="console-command">&gt; {e.command}</code>
              {e.error ? (
                <p className="console-error" role="status">
                  {c.errors[e.error.code] ?? e.error.message}
                </p>
              ) : (
                <pre className="console-answer">{e.answer || c.noAnswer}</pre>
              )}
            </li>
          ))}
        </ol>
      )}
    </>
  )
}
