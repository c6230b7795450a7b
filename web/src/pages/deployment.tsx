import { useCallback, useEffect, useRef, useState } from 'react'
import type { DeploymentStatus } from '../../../core/deployment/status'
import { PROTOCOL_VERSION, type JobKind } from '../../../core/protocol'
import { api, ApiFailure, call, errorText, type DeploymentDetail } from '../api'
import { Backups } from '../components/backups'
import { Schedules } from '../components/schedules'
import { Snapshots } from '../components/snapshots'
import { ConfirmButton } from '../components/confirm-button'
import { Console } from '../components/console'
import { ServerLog } from '../components/server-log'
import { CopyButton } from '../components/copy-button'
import { EditDeployment, RolledBackChange } from '../components/edit-deployment'
import { Alert, CheckboxField } from '../components/field'
import { Link } from '../components/link'
import { LivePanel } from '../components/live-status'
import { LogPane } from '../components/log-pane'
import { UpdateAvailable } from '../components/update-available'
import { StatusBadge } from '../components/status-badge'
import { Timeline } from '../components/timeline'
import { usePoll } from '../hooks/use-poll'
import { useDeploymentEvents, type LiveState } from '../hooks/use-deployment-events'
import { useT } from '../i18n'
import { useCan } from '../me'
import { useTitle } from '../router'
import { formatTime } from '../lib/format'
import { gameName, isPrivateIPv4, joinSteps, playerAddress, publicPorts } from '../lib/games'
import { allowedActions, hasLifecycle, isWatched, kindOfSteps, runningKind } from '../lib/lifecycle'

/** One deployment: live status, step timeline, live log, result and actions. */
export function DeploymentPage(props: { id: string }) {
  const t = useT()
  const [detail, setDetail] = useState<DeploymentDetail | null>(null)
  const [loadError, setLoadError] = useState<string | null>(null)
  const [missing, setMissing] = useState(false)
  const live = useDeploymentEvents(missing ? null : props.id)
  const statusRef = useRef<HTMLSpanElement>(null)
  // A viewer, or a view-only grant, sees the server but none of the buttons that change it.
  const operate = useCan().operate(props.id)
  useTitle(`${detail?.name ?? t.deploymentsTitle} · ${t.appName}`)

  const reload = useCallback(async () => {
    try {
      setDetail(
        (await call(api.api.deployments[':id'].$get({ param: { id: props.id } }))).deployment,
      )
    } catch (err) {
      setLoadError(errorText(err))
      if (err instanceof ApiFailure && err.status === 404) setMissing(true)
    }
  }, [props.id])

  useEffect(() => {
    void reload()
  }, [reload])

  // The runner that holds the job can change on retry; the socket only carries the state.
  const status = live.state?.status ?? detail?.status
  useEffect(() => {
    if (status) void reload()
  }, [status, reload])

  if (loadError && !detail) {
    return (
      <section>
        <Alert kind="error">{loadError}</Alert>
        <Link to="/deployments">{t.backToList}</Link>
      </section>
    )
  }
  if (!detail) return <p className="loading">{t.loading}</p>

  const state: LiveState = live.state ?? {
    v: PROTOCOL_VERSION,
    type: 'state',
    status: detail.status,
    steps: detail.steps,
    error: null,
    result: null,
    vmid: detail.vmid,
    ip: detail.ip,
    lastSeq: detail.lastSeq,
    live: detail.live,
  }
  // The job the steps belong to (running, or the last one).
  const jobKind: JobKind | null =
    kindOfSteps(state.steps) ?? runningKind(state.status) ?? detail.job?.kind ?? null
  const jobRunning = runningKind(state.status) !== null
  // The socket's word once it spoke (the server drops a status from before a stop or start).
  const liveStatus = live.live === undefined ? detail.live : live.live

  return (
    <section className="detail">
      <p className="crumbs">
        <Link to="/deployments">{t.deploymentsTitle}</Link> /
      </p>
      <div className="page-head">
        <h1>{detail.name}</h1>
        {/* Announced to screen readers as it changes; focus lands here after an action. */}
        <span aria-live="polite" tabIndex={-1} ref={statusRef} className="status-focus">
          <StatusBadge status={state.status} />
        </span>
      </div>
      <p className="muted">
        {gameName(detail.game)} · {t.colCreated} {formatTime(detail.createdAt, t.lang)}
        {state.vmid ? ` · VM ${state.vmid}` : ''}
      </p>
      {operate ? (
        <Actions
          id={props.id}
          name={detail.name}
          status={state.status}
          failedKind={jobKind ?? undefined}
          onDone={reload}
          focusAfter={() => statusRef.current}
        />
      ) : null}
      {operate && hasLifecycle(state.status) ? (
        <EditDeployment detail={detail} canEdit={state.status === 'ready'} onStarted={reload} />
      ) : null}
      <RolledBackChange
        {...{ id: props.id, name: detail.name, canRetry: state.status === 'ready' }}
        lastJob={state.lastJob ?? detail.lastJob}
        onStarted={reload}
      />
      {state.status === 'queued' ? <QueuedHint /> : null}
      {state.error && state.status === 'failed' ? (
        <Alert kind="error">
          <strong>
            {state.error.step
              ? t.failedAt(
                  (t.steps as Record<string, string>)[state.error.step] ?? state.error.step,
                )
              : t.failed}
          </strong>{' '}
          {state.error.message}
          {state.error.detail ? <pre className="error-detail">{state.error.detail}</pre> : null}
        </Alert>
      ) : null}
      <div className="detail-grid">
        <div>
          <ResultCard detail={detail} state={state} />
          {isWatched(state.status) ? <LivePanel live={liveStatus} /> : null}
          {isWatched(state.status) ? (
            <UpdateAvailable
              {...{ detail, live: liveStatus, onStarted: reload }}
              result={state.result ?? detail.result}
              canUpdate={operate && state.status === 'ready'}
            />
          ) : null}
          <h2 id="steps-title">{t.stepsTitle}</h2>
          {jobKind ? (
            <p className="job-kind" data-job-kind={jobKind}>
              {jobRunning ? t.jobRunning[jobKind] : t.jobLast(t.jobName[jobKind])}
            </p>
          ) : null}
          <Timeline steps={state.steps} restored={detail.restoredFrom !== null} />
        </div>
        <LogPane
          deploymentId={props.id}
          name={detail.name}
          log={live.log}
          version={live.version}
          connection={live.connection}
        />
      </div>
      {/* Full width: its table has room for every column and the delete buttons. */}
      {operate &&
      (hasLifecycle(state.status) ||
        (state.status === 'failed' && state.vmid) ||
        state.status === 'destroyed') ? (
        <Backups
          id={props.id}
          name={detail.name}
          status={state.status}
          canBackup={allowedActions(state.status).backup}
          canRestore={allowedActions(state.status).restore}
          lastJob={state.lastJob ?? detail.lastJob}
          onStarted={reload}
        />
      ) : null}
      {operate && state.vmid && hasLifecycle(state.status) ? (
        <Snapshots id={props.id} game={detail.game} status={state.status} />
      ) : null}
      {operate && state.status === 'ready' ? <Console id={props.id} game={detail.game} /> : null}
      {state.status === 'ready' ? <ServerLog id={props.id} name={detail.name} /> : null}
      {operate && hasLifecycle(state.status) ? (
        <Schedules id={props.id} status={state.status} lastJob={state.lastJob ?? detail.lastJob} />
      ) : null}
    </section>
  )
}

/** What to give the players, once the server answers. */
function ResultCard(props: { detail: DeploymentDetail; state: LiveState }) {
  const t = useT()
  // A destroyed or cancelled deployment has no server left to give an address for.
  const gone = props.state.status === 'destroyed' || props.state.status === 'cancelled'
  const address = gone
    ? null
    : playerAddress(props.detail.game, props.state.ip, props.detail.config)
  const result = props.state.result ?? (props.detail.result as Record<string, unknown> | null)
  const config = props.detail.config as Record<string, unknown>
  const ready = props.state.status === 'ready'
  return (
    <section className="card result" aria-labelledby="result-title">
      <h2 id="result-title">{ready ? t.resultReady : t.resultTitle}</h2>
      <dl>
        <dt>{t.playerAddress}</dt>
        <dd>
          {address ? (
            <span className="address">
              <code>{address}</code> <CopyButton text={address} />
            </span>
          ) : (
            '—'
          )}
        </dd>
        <dt>{t.version}</dt>
        <dd>
          {typeof result?.version === 'string' ? result.version : String(config.version ?? '—')}
        </dd>
        {/* While watched, the live status below has the players, fresher. */}
        {isWatched(props.state.status) ? null : (
          <>
            <dt>{t.playersOnline}</dt>
            <dd>
              {typeof result?.players === 'number'
                ? `${result.players}${typeof config.maxPlayers === 'number' ? ` / ${config.maxPlayers}` : ''}`
                : '—'}
            </dd>
          </>
        )}
        <dt>{t.sizing}</dt>
        <dd>
          {t.sizingValue(
            props.detail.sizing.cores,
            props.detail.sizing.memoryMiB,
            props.detail.sizing.diskGiB,
          )}
        </dd>
      </dl>
      {address && isWatched(props.state.status) ? (
        <JoinHelp game={props.detail.game} config={props.detail.config} address={address} />
      ) : null}
    </section>
  )
}

/**
 * How a player joins (the game's own steps), and, when the VM's address is private, what to
 * forward on the router for friends outside the network.
 */
function JoinHelp(props: { game: string; config: unknown; address: string }) {
  const t = useT()
  const steps = joinSteps(props.game, t.lang, props.address)
  const ip = props.address.split(':')[0] ?? ''
  const forward = isPrivateIPv4(ip) ? publicPorts(props.game, props.config) : []
  if (steps.length === 0) return null
  return (
    <div className="join">
      <h3>{t.joinTitle}</h3>
      <ol>
        {steps.map((step) => (
          <li key={step}>{step}</li>
        ))}
      </ol>
      {forward.length > 0 ? (
        <>
          <h3>{t.forwardTitle}</h3>
          <p>{t.forwardBody(ip)}</p>
          <ul className="ports">
            {forward.map((p) => (
              <li key={`${p.protocol}${p.port}`}>
                <code>
                  {p.protocol.toUpperCase()} {p.port}
                </code>{' '}
                → <code>{ip}</code> ({t.portName(p.name)})
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  )
}

/**
 * Start, stop, restart, destroy, retry, cancel: what the state machine allows is enabled. Once
 * the VM exists the power buttons stay in place (greyed while not allowed) so the layout does not
 * jump; a dialog opened before the state changed still asks, and shows the server's refusal.
 */
function Actions(props: {
  id: string
  name: string
  status: DeploymentStatus
  failedKind: JobKind | undefined
  onDone: () => Promise<void>
  focusAfter: () => HTMLElement | null
}) {
  const t = useT()
  const param = { param: { id: props.id } }
  const can = allowedActions(props.status, props.failedKind)
  const cancelLabel = props.status === 'changing' ? t.changes.cancelChange : t.cancelDeployment
  const lifecycle = hasLifecycle(props.status)
  const [starting, setStarting] = useState(false)
  // Backups are kept by default: a destroyed server can come back as a new one.
  const [deleteBackups, setDeleteBackups] = useState(false)
  const [error, setError] = useState<string | null>(null)
  // A refusal or failure belongs to the state it happened in.
  useEffect(() => setError(null), [props.status])
  async function start() {
    setStarting(true)
    setError(null)
    try {
      await call(api.api.deployments[':id'].start.$post(param))
      await props.onDone()
      props.focusAfter()?.focus()
    } catch (err) {
      setError(errorText(err))
    } finally {
      setStarting(false)
    }
  }

  if (!lifecycle && !can.destroy && !can.retry && !can.cancel) return null
  const busy = runningKind(props.status) !== null && lifecycle
  return (
    <>
      <div className="actions" role="group" aria-label={t.actions}>
        {lifecycle ? (
          <>
            <button
              type="button"
              className="secondary"
              disabled={!can.start || starting}
              onClick={() => void start()}
            >
              {t.start}
            </button>
            <ConfirmButton
              label={t.stop}
              title={t.stopTitle(props.name)}
              body={t.stopBody}
              confirmLabel={t.stop}
              disabled={!can.stop}
              focusAfter={props.focusAfter}
              onConfirm={async () => {
                await call(api.api.deployments[':id'].stop.$post(param))
                await props.onDone()
              }}
            />
            <ConfirmButton
              label={t.restart}
              title={t.restartTitle(props.name)}
              body={t.restartBody}
              confirmLabel={t.restart}
              disabled={!can.restart}
              focusAfter={props.focusAfter}
              onConfirm={async () => {
                await call(api.api.deployments[':id'].restart.$post(param))
                await props.onDone()
              }}
            />
          </>
        ) : null}
        {can.retry ? (
          <ConfirmButton
            label={t.retry}
            title={t.retryTitle(props.name)}
            body={t.retryBody}
            confirmLabel={t.retry}
            focusAfter={props.focusAfter}
            onConfirm={async () => {
              await call(api.api.deployments[':id'].retry.$post(param))
              await props.onDone()
            }}
          />
        ) : null}
        {can.cancel ? (
          <ConfirmButton
            label={cancelLabel}
            title={t.cancelTitle(props.name)}
            body={props.status === 'changing' ? t.changes.cancelBody : t.cancelBody}
            confirmLabel={cancelLabel}
            dismissLabel={t.keepGoing}
            focusAfter={props.focusAfter}
            onConfirm={async () => {
              await call(api.api.deployments[':id'].cancel.$post(param))
              await props.onDone()
            }}
          />
        ) : null}
        {can.destroy || lifecycle ? (
          <ConfirmButton
            danger
            label={t.destroy}
            title={t.destroyTitle(props.name)}
            body={
              <>
                <p>{t.destroyBody}</p>
                <CheckboxField
                  name="deleteBackups"
                  label={t.destroyDeleteBackups}
                  help={t.destroyDeleteBackupsHelp}
                  checked={deleteBackups}
                  onChange={setDeleteBackups}
                />
              </>
            }
            confirmLabel={t.destroy}
            disabled={!can.destroy}
            focusAfter={props.focusAfter}
            onConfirm={async () => {
              await call(
                api.api.deployments[':id'].destroy.$post({ ...param, json: { deleteBackups } }),
              )
              await props.onDone()
            }}
          />
        ) : null}
      </div>
      {busy ? <p className="muted actions-hint">{t.actionsWait}</p> : null}
      {error ? <Alert kind="error">{error}</Alert> : null}
    </>
  )
}

/** A queued job with no runner online would wait forever: say so, and where to fix it. */
function QueuedHint() {
  const t = useT()
  const { data } = usePoll(
    async () => (await call(api.api.runners.$get())).runners.some((r) => r.state === 'online'),
    3_000,
  )
  if (data !== false) return null
  return (
    <Alert kind="info">
      {t.noRunnerOnline} <Link to="/runners">{t.navRunners}</Link>
    </Alert>
  )
}
