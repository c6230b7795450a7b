import { useMemo, useState, type FormEvent } from 'react'
import {
  changeCost,
  changeLines,
  compareReleases,
  SNAPSHOT_CAP,
  type ChangeLine,
} from '../../../core/change-plan'
import { fieldErrors, formFields, type FormField } from '../../../core/form-schema'
import { getGame } from '../../../core/games'
import type { DeploymentSpec, LastJob } from '../../../core/protocol'
import { api, call, type DeploymentDetail } from '../api'
import { useT } from '../i18n'
import { settingLabel } from '../lib/games'
import { toConfig, toValues } from '../pages/new-deployment'
import { ConfirmButton } from './confirm-button'
import { Alert } from './field'
import { SchemaField, type RawValue } from './schema-field'

type Values = Record<string, RawValue>

/** The spec a deployment runs, as the diff compares it (what the API shows of it). */
function specOf(d: DeploymentDetail, config: Record<string, unknown>): DeploymentSpec {
  return {
    deploymentId: d.id,
    name: d.name,
    game: d.game,
    gameConfig: config,
    cores: d.sizing.cores,
    memoryMiB: d.sizing.memoryMiB,
    diskGiB: d.sizing.diskGiB,
    ipAddress: d.ip ?? '',
    sshPublicKeys: [],
  }
}

/** The release the server answered with (`Paper 1.21.4` → `1.21.4`), else the pinned one. */
function installedVersion(d: DeploymentDetail): string | undefined {
  const answered = (d.result as { version?: unknown } | null)?.version
  const m = typeof answered === 'string' ? /(\d+(?:\.\d+)+)\s*$/.exec(answered) : null
  return m?.[1]
}

/**
 * Edit a ready deployment: the generated form prefilled with its config, then the diff of what
 * will change and what it costs (a restart, a disk that only grows, an upgrade only a rollback
 * undoes) before the admin confirms the change job.
 */
export function EditDeployment(props: {
  detail: DeploymentDetail
  canEdit: boolean
  onStarted: () => Promise<void>
}) {
  const t = useT()
  const tc = t.changes
  const d = props.detail
  const module = getGame(d.game)
  const texts = module?.texts[t.lang]
  const fields = useMemo(
    () =>
      module ? formFields(module.configSchema, module.advancedFields, module.sensitiveFields) : [],
    [module],
  )
  // A sensitive field comes as the API's placeholder; sent back unchanged, it keeps its value.
  const current = d.config as Record<string, unknown>
  const [open, setOpen] = useState(false)
  const [values, setValues] = useState<Values>(() => toValues(current))
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [plan, setPlan] = useState<{ spec: DeploymentSpec; lines: ChangeLine[] } | null>(null)
  const [refusal, setRefusal] = useState<string | null>(null)
  if (!module) return null

  function review(e: FormEvent) {
    e.preventDefault()
    setRefusal(null)
    setPlan(null)
    const config = toConfig(fields, values)
    const parsed = module!.configSchema.safeParse(config)
    if (!parsed.success) {
      setErrors(fieldErrors(parsed.error, t.lang))
      return
    }
    setErrors({})
    const sizing = module!.sizing(parsed.data as never)
    const to: DeploymentSpec = {
      ...specOf(d, parsed.data as Record<string, unknown>),
      cores: sizing.cores,
      memoryMiB: sizing.memoryMb,
      diskGiB: sizing.diskGb,
    }
    const from = specOf(d, current)
    if (to.diskGiB < from.diskGiB) return setRefusal(tc.diskShrink(from.diskGiB, to.diskGiB))
    const target = to.gameConfig.version
    const installed = installedVersion(d) ?? String(from.gameConfig.version ?? '')
    if (typeof target === 'string' && (compareReleases(target, installed) ?? 0) < 0)
      return setRefusal(tc.downgrade(installed, target))
    const lines = changeLines(from, to)
    if (lines.length === 0) return setRefusal(tc.nothing)
    setPlan({ spec: to, lines })
  }

  const label = (key: string) => settingLabel(d.game, t.lang, tc.sizingLabels, key)
  const from = specOf(d, current)
  const cost = plan ? changeCost(from, plan.spec, installedVersion(d)) : null
  const render = (f: FormField) => (
    <SchemaField
      key={f.key}
      field={f}
      texts={texts}
      value={values[f.key]}
      onChange={(v) => {
        setPlan(null)
        setValues((prev) => ({ ...prev, [f.key]: v }))
      }}
      error={errors[f.key]}
    />
  )
  const diff = plan ? (
    <section className="change-plan" aria-labelledby="diff-title">
      <h3 id="diff-title">{tc.diffTitle}</h3>
      <table className="diff">
        <thead>
          <tr>
            <th scope="col">{tc.colSetting}</th>
            <th scope="col">{tc.colBefore}</th>
            <th scope="col">{tc.colAfter}</th>
          </tr>
        </thead>
        <tbody>
          {plan.lines.map((l) => (
            <tr key={l.key} data-key={l.key}>
              <th scope="row">{label(l.key)}</th>
              <td>{l.secret ? '—' : l.from}</td>
              <td>{l.secret ? tc.hidden : l.to}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>{tc.costTitle}</h3>
      <ul className="costs">
        <li data-testid="change-restart">
          {cost?.restart ? tc.costRestart : cost?.live ? tc.costLive : tc.costGame}
        </li>
        {cost?.diskGrows ? <li>{tc.costDisk(from.diskGiB, plan.spec.diskGiB)}</li> : null}
        {cost?.versionUpgrade ? <li>{tc.costUpgrade}</li> : null}
        <li>{tc.costSnapshot(SNAPSHOT_CAP)}</li>
      </ul>
      <ConfirmButton
        label={tc.confirm}
        title={tc.confirmTitle(d.name)}
        body={tc.editIntro}
        confirmLabel={tc.confirm}
        onConfirm={async () => {
          await call(
            api.api.deployments[':id'].change.$post({
              param: { id: d.id },
              json: { config: toConfig(fields, values) },
            }),
          )
          setOpen(false)
          setPlan(null)
          await props.onStarted()
        }}
      />
    </section>
  ) : null

  return (
    <>
      <button
        type="button"
        className="secondary"
        disabled={!props.canEdit}
        aria-expanded={open}
        onClick={() => {
          setValues(toValues(current))
          setPlan(null)
          setRefusal(null)
          setOpen(!open)
        }}
      >
        {tc.edit}
      </button>
      {open && props.canEdit ? (
        <section className="card edit-deployment" aria-labelledby="edit-title">
          <h2 id="edit-title">{tc.editTitle(d.name)}</h2>
          <p className="muted">{tc.editIntro}</p>
          <form onSubmit={review} noValidate className="deploy-form">
            {fields.filter((f) => !f.advanced).map(render)}
            <details className="advanced">
              <summary>{t.advanced}</summary>
              {fields.filter((f) => f.advanced).map(render)}
            </details>
            {refusal ? <Alert kind="error">{refusal}</Alert> : null}
            <div className="actions">
              <button type="submit">{tc.review}</button>
              <button type="button" className="secondary" onClick={() => setOpen(false)}>
                {tc.close}
              </button>
            </div>
          </form>
          {diff}
        </section>
      ) : null}
    </>
  )
}

/** A change that failed or was cancelled and went back to its snapshot: said on the card. */
export function RolledBackChange(props: {
  id: string
  name: string
  lastJob: LastJob | null | undefined
  canRetry: boolean
  onStarted: () => Promise<void>
}) {
  const tc = useT().changes
  const job = props.lastJob
  if (job?.kind !== 'change' || !job.rolledBack) return null
  return (
    <div className="rolled-back" data-testid="rolled-back-change">
      <Alert kind="error">
        <strong>{tc.rolledBackTitle}</strong>{' '}
        {job.outcome === 'cancelled' ? tc.cancelledBack : tc.rolledBack(job.error ?? '')}
      </Alert>
      {job.outcome === 'failed' && props.canRetry ? (
        <ConfirmButton
          label={tc.tryAgain}
          title={tc.tryAgainTitle(props.name)}
          body={tc.tryAgainBody}
          confirmLabel={tc.tryAgain}
          onConfirm={async () => {
            await call(api.api.deployments[':id'].retry.$post({ param: { id: props.id } }))
            await props.onStarted()
          }}
        />
      ) : null}
    </div>
  )
}
