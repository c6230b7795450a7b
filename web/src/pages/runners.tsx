import { CardTable } from '../components/card-table'
import { useState } from 'react'
import { api, call, type RunnerView } from '../api'
import { AddRunner, type Registration } from '../components/add-runner'
import { Commands } from '../components/commands'
import { ConfirmButton } from '../components/confirm-button'
import { Alert } from '../components/field'
import { Link } from '../components/link'
import { OrphansSection } from '../components/orphans'
import { usePoll } from '../hooks/use-poll'
import { useT } from '../i18n'
import { useTitle } from '../router'
import { formatAgo } from '../lib/format'

const REFRESH_MS = 3_000

/** Runners: who is online, their version, last seen, running jobs; add and revoke. */
export function RunnersPage() {
  const t = useT()
  useTitle(`${t.runnersTitle} · ${t.appName}`)
  const { data, error, refresh } = usePoll(
    async () => (await call(api.api.runners.$get())).runners,
    REFRESH_MS,
  )
  const [adding, setAdding] = useState(false)
  const [registration, setRegistration] = useState<Registration | null>(null)
  const [rotate, setRotate] = useState<{ name: string; commands: string[] } | null>(null)
  const runners = data ?? []

  return (
    <section>
      <div className="page-head">
        <h1>{t.runnersTitle}</h1>
        {!adding ? (
          <button type="button" onClick={() => setAdding(true)}>
            {t.addRunner}
          </button>
        ) : null}
      </div>
      <p>{t.runnersIntro}</p>
      {adding ? (
        <section className="card" aria-labelledby="add-runner-title">
          <h2 id="add-runner-title">{t.addRunner}</h2>
          <AddRunner
            registration={registration}
            onRegistration={(r) => {
              setRegistration(r)
              void refresh()
            }}
          />
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setAdding(false)
              setRegistration(null)
            }}
          >
            {registration ? t.done : t.cancelDialog}
          </button>
        </section>
      ) : null}
      {rotate ? <RotateToken {...rotate} onDone={() => setRotate(null)} /> : null}
      {error ? <Alert kind="error">{error}</Alert> : null}
      {data && runners.length === 0 ? <p className="empty">{t.runnersEmpty}</p> : null}
      {runners.length > 0 ? (
        <CardTable
          columns={[t.colName, t.colState, t.colVersion, t.colLastSeen, t.colJobs]}
          actions={t.actions}
        >
          {runners.map((r) => (
            <RunnerRow
              key={r.id}
              runner={r}
              onChanged={refresh}
              onRevoked={(commands) => setRotate({ name: r.name, commands })}
            />
          ))}
        </CardTable>
      ) : null}
      <OrphansSection />
    </section>
  )
}

/**
 * After a revoke: the runner may have held the Proxmox token in memory (a job, a watch list, a
 * sweep), so the token is replaced, with the commands for it.
 */
function RotateToken(props: { name: string; commands: string[]; onDone: () => void }) {
  const t = useT()
  return (
    <section className="card" role="alert" aria-labelledby="rotate-title">
      <h2 id="rotate-title">{t.rotateTitle}</h2>
      <p>{t.rotateBody(props.name)}</p>
      <Commands commands={props.commands} testId="rotate-commands" />
      <p>
        {t.rotateThen} <Link to="/settings">{t.navSettings}</Link>.
      </p>
      <button type="button" className="secondary" onClick={props.onDone}>
        {t.rotateDismiss}
      </button>
    </section>
  )
}

function RunnerRow(props: {
  runner: RunnerView
  onChanged: () => Promise<void>
  onRevoked: (rotateCommands: string[]) => void
}) {
  const t = useT()
  const r = props.runner
  const tone =
    r.state === 'online'
      ? 'ok'
      : r.state === 'revoked'
        ? 'off'
        : r.state === 'offline'
          ? 'bad'
          : 'busy'
  return (
    <tr data-runner={r.id}>
      <td data-label={t.colName}>{r.name}</td>
      <td data-label={t.colState}>
        <span className={`badge badge-${tone}`}>
          {(t.runnerState as Record<string, string>)[r.state] ?? r.state}
        </span>
      </td>
      <td data-label={t.colVersion}>{r.version ?? '—'}</td>
      <td data-label={t.colLastSeen}>
        {r.lastSeenAt ? (
          <time dateTime={new Date(r.lastSeenAt).toISOString()}>
            {formatAgo(r.lastSeenAt, t.lang)}
          </time>
        ) : (
          '—'
        )}
      </td>
      <td data-label={t.colJobs}>{r.runningJobs}</td>
      <td>
        {r.state !== 'revoked' ? (
          <ConfirmButton
            danger
            label={t.revoke}
            ariaLabel={`${t.revoke} ${r.name}`}
            title={t.revokeTitle(r.name)}
            body={t.revokeBody}
            confirmLabel={t.revoke}
            onConfirm={async () => {
              const res = await call(api.api.runners[':id'].$delete({ param: { id: r.id } }))
              if (res.rotateToken) props.onRevoked(res.rotateToken.commands)
              await props.onChanged()
            }}
          />
        ) : null}
      </td>
    </tr>
  )
}
