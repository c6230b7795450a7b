import { useEffect, useMemo, useState, type FormEvent } from 'react'
import { CreateDeployment } from '../../../core/deployment-api'
import { fieldErrors, formFields, type FormField } from '../../../core/form-schema'
import { getGame } from '../../../core/games'
import { api, ApiFailure, call, errorText, type GameView } from '../api'
import { shortfallText } from '../../../core/capacity'
import { CapacityPanel, refusedShortfalls } from '../components/capacity'
import { Alert, Field, ErrorText } from '../components/field'
import { listItems, SchemaField, type RawValue } from '../components/schema-field'
import { useT } from '../i18n'
import { navigate, useTitle } from '../router'

type Values = Record<string, RawValue>

/** The form's start: the game's defaults, numbers as strings for editing. */
function initialValues(game: GameView): Values {
  return toValues(game.defaults)
}

/** A config as the form edits it: numbers as strings, lists one item a line. */
export function toValues(config: Record<string, unknown>): Values {
  const out: Values = {}
  for (const [k, v] of Object.entries(config)) {
    out[k] =
      typeof v === 'boolean'
        ? v
        : Array.isArray(v)
          ? v.join('\n')
          : typeof v === 'number'
            ? String(v)
            : String(v ?? '')
  }
  return out
}

/** Typed strings → the values the schema expects (an empty number box becomes "not given"). */
export function toConfig(fields: FormField[], values: Values): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const f of fields) {
    const v = values[f.key]
    if (v === undefined) continue
    if (f.kind === 'integer' || f.kind === 'number') {
      if (typeof v === 'string' && v.trim() !== '') out[f.key] = Number(v)
    } else if (f.kind === 'list') out[f.key] = listItems(String(v))
    else out[f.key] = v
  }
  return out
}

/** New deployment: pick a game, then its generated form ("default vs advanced"). */
export function NewDeploymentPage() {
  const t = useT()
  useTitle(`${t.newDeployment} · ${t.appName}`)
  const [games, setGames] = useState<GameView[] | null>(null)
  const [gameId, setGameId] = useState<string>('')
  const [loadError, setLoadError] = useState<string | null>(null)

  useEffect(() => {
    call(api.api.games.$get())
      .then(({ games }) => {
        setGames(games)
        if (games.length === 1 && games[0]) setGameId(games[0].id)
      })
      .catch((err: unknown) => setLoadError(errorText(err)))
  }, [])

  const game = games?.find((g) => g.id === gameId)
  return (
    <section>
      <h1>{t.newDeployment}</h1>
      {loadError ? <Alert kind="error">{loadError}</Alert> : null}
      {games ? (
        <fieldset className="game-picker">
          <legend>{t.pickGame}</legend>
          {games.map((g) => (
            <label key={g.id} className={g.id === gameId ? 'game-card on' : 'game-card'}>
              <input
                type="radio"
                name="game"
                value={g.id}
                checked={g.id === gameId}
                onChange={() => setGameId(g.id)}
              />
              <span>
                <strong>{g.name}</strong>
                <small className="help">{getGame(g.id)?.texts[t.lang].summary ?? g.summary}</small>
              </span>
            </label>
          ))}
        </fieldset>
      ) : !loadError ? (
        <p className="loading">{t.loading}</p>
      ) : null}
      {game ? <DeploymentForm key={game.id} game={game} /> : null}
    </section>
  )
}

/** `<game>-<n>` with the smallest n no deployment uses yet. */
export function defaultName(game: string, taken: ReadonlySet<string>): string {
  for (let n = 1; n < 10_000; n++) {
    const name = `${game}-${n}`
    if (!taken.has(name)) return name
  }
  return `${game}-${Date.now()}`
}

function DeploymentForm(props: { game: GameView }) {
  const t = useT()
  const module = getGame(props.game.id)
  const texts = module?.texts[t.lang]
  const fields = useMemo(
    () =>
      module
        ? formFields(module.configSchema, props.game.advancedFields, module.sensitiveFields)
        : [],
    [module, props.game.advancedFields],
  )
  const [name, setName] = useState('')
  const [values, setValues] = useState<Values>(() => initialValues(props.game))
  // A free default name ("minecraft-2"), so Deploy with the defaults works in one click.
  useEffect(() => {
    let live = true
    call(api.api.deployments.$get({ query: { limit: '200' } }))
      .then(({ deployments }) => {
        const taken = new Set(deployments.map((d) => d.name.toLowerCase()))
        if (live) setName((typed) => typed || defaultName(props.game.id, taken))
      })
      .catch(() => {
        if (live) setName((typed) => typed || defaultName(props.game.id, new Set()))
      })
    return () => {
      live = false
    }
  }, [props.game.id])
  const [network, setNetwork] = useState<'pool' | 'static'>('pool')
  const [ip, setIp] = useState('')
  const [sshKeys, setSshKeys] = useState('')
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [failure, setFailure] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  function body() {
    return {
      name,
      game: props.game.id,
      config: toConfig(fields, values),
      network: network === 'pool' ? { mode: 'pool' as const } : { mode: 'static' as const, ip },
      sshPublicKeys: sshKeys
        .split('\n')
        .map((k) => k.trim())
        .filter(Boolean),
    }
  }

  /** The API's own schemas, run here first: most mistakes never leave the browser. */
  function validate(b: ReturnType<typeof body>): Record<string, string> {
    const out: Record<string, string> = {}
    const top = CreateDeployment.safeParse(b)
    if (!top.success) Object.assign(out, fieldErrors(top.error, t.lang))
    const config = module?.configSchema.safeParse(b.config)
    if (config && !config.success) {
      for (const [k, v] of Object.entries(fieldErrors(config.error, t.lang)))
        out[`config.${k}`] ??= v
    }
    return out
  }

  function focusFirstError(errs: Record<string, string>) {
    requestAnimationFrame(() => {
      const first = Object.keys(errs)[0]
      const el = first ? document.querySelector<HTMLElement>(`[name="${first}"]`) : null
      if (el?.closest('details')) el.closest('details')?.setAttribute('open', '')
      el?.focus()
    })
  }

  async function submit(e: FormEvent) {
    e.preventDefault()
    setFailure(null)
    const b = body()
    const local = validate(b)
    setErrors(local)
    if (Object.keys(local).length > 0) return focusFirstError(local)
    setBusy(true)
    try {
      const { deployment } = await call(api.api.deployments.$post({ json: b }))
      navigate(`/deployments/${deployment.id}`)
    } catch (err) {
      if (err instanceof ApiFailure && Object.keys(err.fields).length > 0) {
        setErrors(err.fields)
        focusFirstError(err.fields)
      }
      const missing = refusedShortfalls(err)
      setFailure(missing ? missing.map((s) => shortfallText(s, t.lang)).join(' ') : errorText(err))
    } finally {
      setBusy(false)
    }
  }

  const set = (key: string) => (v: RawValue) => setValues((prev) => ({ ...prev, [key]: v }))
  // A field tied to a switch (the whitelist's players) shows while the switch is on.
  const shown = (f: FormField) => {
    const gate = module?.visibleWhen?.[f.key]
    return gate === undefined || values[gate] === true
  }
  const render = (f: FormField) => (
    <SchemaField
      key={f.key}
      field={f}
      texts={texts}
      value={values[f.key]}
      onChange={set(f.key)}
      error={errors[`config.${f.key}`]}
    />
  )
  const errorCount = Object.keys(errors).length
  // The VM's size as the worker will compute it, from what is typed so far.
  const sizing = module?.sizing({ ...props.game.defaults, ...toConfig(fields, values) } as never)

  return (
    <form onSubmit={submit} noValidate className="deploy-form">
      {failure ? <Alert kind="error">{failure}</Alert> : null}
      {!failure && errorCount > 0 ? <Alert kind="error">{t.fixFields}</Alert> : null}
      <fieldset>
        <legend>{t.basics}</legend>
        <Field
          label={t.deploymentName}
          name="name"
          value={name}
          onChange={setName}
          required
          maxLength={63}
          help={t.deploymentNameHelp}
          error={errors.name}
        />
        {fields.filter((f) => !f.advanced && shown(f)).map(render)}
      </fieldset>
      <fieldset>
        <legend>{t.networkTitle}</legend>
        <div className="radio-row" role="radiogroup" aria-label={t.networkTitle}>
          <label>
            <input
              type="radio"
              name="network-mode"
              checked={network === 'pool'}
              onChange={() => setNetwork('pool')}
            />{' '}
            {t.networkPool}
          </label>
          <label>
            <input
              type="radio"
              name="network-mode"
              checked={network === 'static'}
              onChange={() => setNetwork('static')}
            />{' '}
            {t.networkStatic}
          </label>
        </div>
        {network === 'static' ? (
          <Field
            label={t.ipAddress}
            name="network.ip"
            value={ip}
            onChange={setIp}
            placeholder="192.168.1.120"
            help={t.ipAddressHelp}
            error={errors['network.ip']}
          />
        ) : null}
      </fieldset>
      <details className="advanced">
        <summary>{t.advanced}</summary>
        <fieldset aria-label={t.advanced}>
          {fields.filter((f) => f.advanced && shown(f)).map(render)}
          <div className="field">
            <label htmlFor="ssh-keys">{t.sshKeys}</label>
            <textarea
              id="ssh-keys"
              name="sshPublicKeys"
              rows={3}
              value={sshKeys}
              onChange={(e) => setSshKeys(e.target.value)}
              aria-describedby="ssh-keys-help"
              aria-invalid={Object.keys(errors).some((k) => k.startsWith('sshPublicKeys'))}
            />
            <small id="ssh-keys-help" className="help">
              {t.sshKeysHelp}
            </small>
            {Object.entries(errors)
              .filter(([k]) => k.startsWith('sshPublicKeys'))
              .slice(0, 1)
              .map(([k, v]) => (
                <small key={k} className="error" role="alert">
                  <ErrorText text={v} />
                </small>
              ))}
          </div>
        </fieldset>
      </details>
      {sizing ? <CapacityPanel memoryMb={sizing.memoryMb} diskGb={sizing.diskGb} /> : null}
      <button type="submit" disabled={busy}>
        {busy ? t.deploying : t.deploy}
      </button>
    </form>
  )
}
