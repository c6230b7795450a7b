import { CardTable } from '../components/card-table'
import {
  IN_PROGRESS,
  POWERING,
  WATCHED,
  type DeploymentStatus,
} from '../../../core/deployment/status'
import { api, call, type DeploymentSummary } from '../api'
import { CopyButton } from '../components/copy-button'
import { Alert } from '../components/field'
import { Link } from '../components/link'
import { LiveBadge } from '../components/live-status'
import { StatusBadge } from '../components/status-badge'
import { usePoll } from '../hooks/use-poll'
import { useT } from '../i18n'
import { useCan } from '../me'
import { formatTime } from '../lib/format'
import { gameName, playerAddress } from '../lib/games'
import { navigate, useSearch, useTitle } from '../router'

/** How often the list refreshes: statuses change while you watch. */
const REFRESH_MS = 2_000

const FILTERS = ['all', 'active', 'ready', 'stopped', 'failed', 'cancelled', 'destroyed'] as const
type Filter = (typeof FILTERS)[number]

function matches(filter: Filter, status: DeploymentStatus): boolean {
  if (filter === 'all') return true
  if (filter === 'active')
    return (
      IN_PROGRESS.includes(status) ||
      POWERING.includes(status) ||
      status === 'cancelling' ||
      status === 'destroying'
    )
  return status === filter
}

/** The orphan count changes at the sweep's pace (minutes): asked far less often than the list. */
const ORPHANS_REFRESH_MS = 30_000
let orphanCount = { at: 0, count: 0 }

async function countOrphans(): Promise<number> {
  if (Date.now() - orphanCount.at < ORPHANS_REFRESH_MS) return orphanCount.count
  const r = await call(api.api.orphans.$get()).catch(() => null)
  orphanCount = { at: Date.now(), count: r?.orphans.length ?? orphanCount.count }
  return orphanCount.count
}

/** Runners and orphans are admin matters: others get the list alone. */
async function load(admin: boolean) {
  const [deployments, runners, orphans] = await Promise.all([
    call(api.api.deployments.$get({ query: { limit: '200' } })),
    admin ? call(api.api.runners.$get()) : { runners: [] },
    // Only a count for the banner: the list itself is on the runners page.
    admin ? countOrphans() : 0,
  ])
  return {
    deployments: deployments.deployments,
    runners: new Map(runners.runners.map((r) => [r.id, r.name])),
    orphans,
  }
}

/** Every deployment, newest first, with live statuses and a filter by status. */
export function DeploymentsPage() {
  const t = useT()
  useTitle(`${t.deploymentsTitle} · ${t.appName}`)
  const search = useSearch()
  const filter: Filter = FILTERS.find((f) => f === search.get('status')) ?? 'all'
  const can = useCan()
  const { data, error } = usePoll(() => load(can.admin), REFRESH_MS)
  const all = data?.deployments ?? []
  const rows = all.filter((d) => matches(filter, d.status))

  return (
    <section>
      <div className="page-head">
        <h1>{t.deploymentsTitle}</h1>
        {can.create ? (
          <Link to="/deployments/new" className="button">
            {t.newDeployment}
          </Link>
        ) : null}
      </div>
      <div className="filters" role="group" aria-label={t.filterByStatus}>
        {FILTERS.map((f) => (
          <button
            key={f}
            type="button"
            className={f === filter ? 'chip chip-on' : 'chip'}
            aria-pressed={f === filter}
            onClick={() =>
              navigate(f === 'all' ? '/deployments' : `/deployments?status=${f}`, {
                replace: true,
              })
            }
          >
            {t.filters[f]}{' '}
            <span className="count">{all.filter((d) => matches(f, d.status)).length}</span>
          </button>
        ))}
      </div>
      {error ? <Alert kind="error">{error}</Alert> : null}
      {data && data.orphans > 0 ? (
        <Alert kind="info">
          {t.orphansFound(data.orphans)} <Link to="/runners#orphans">{t.orphansReview}</Link>
        </Alert>
      ) : null}
      {data && rows.length === 0 ? (
        <p className="empty">
          {all.length === 0 ? t.deploymentsEmpty : t.deploymentsNoneMatch}{' '}
          {all.length === 0 && can.create ? (
            <Link to="/deployments/new">{t.newDeployment}</Link>
          ) : null}
        </p>
      ) : null}
      {rows.length > 0 ? <DeploymentTable rows={rows} runners={data?.runners} /> : null}
      {!data && !error ? <p className="loading">{t.loading}</p> : null}
    </section>
  )
}

function DeploymentTable(props: {
  rows: DeploymentSummary[]
  runners: Map<string, string> | undefined
}) {
  const t = useT()
  return (
    <CardTable
      columns={[t.colName, t.colGame, t.colStatus, t.colAddress, t.colCreated, t.colRunner]}
    >
      {props.rows.map((d) => {
        const address = playerAddress(d.game, d.ip, d.config)
        return (
          <tr key={d.id} data-deployment={d.id}>
            <td data-label={t.colName}>
              <Link to={`/deployments/${d.id}`}>{d.name}</Link>
            </td>
            <td data-label={t.colGame}>{gameName(d.game)}</td>
            <td data-label={t.colStatus}>
              <span className="badges">
                <StatusBadge status={d.status} />
                {d.live && WATCHED.includes(d.status) ? <LiveBadge live={d.live} /> : null}
              </span>
            </td>
            <td data-label={t.colAddress}>
              {address ? (
                <span className="address">
                  <code>{address}</code> <CopyButton text={address} />
                </span>
              ) : (
                '—'
              )}
            </td>
            <td data-label={t.colCreated}>
              <time dateTime={new Date(d.createdAt).toISOString()}>
                {formatTime(d.createdAt, t.lang)}
              </time>
            </td>
            <td data-label={t.colRunner}>
              {d.runnerId ? (props.runners?.get(d.runnerId) ?? d.runnerId.slice(0, 8)) : '—'}
            </td>
          </tr>
        )
      })}
    </CardTable>
  )
}
