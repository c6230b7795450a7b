import { CardTable } from './card-table'
import { useEffect, useState } from 'react'
import { api, ApiFailure, call, type OrphansView } from '../api'
import { usePoll } from '../hooks/use-poll'
import { useT } from '../i18n'
import { formatAgo, formatTime } from '../lib/format'
import { ConfirmButton } from './confirm-button'
import { Alert } from './field'
import { Link } from './link'

const REFRESH_MS = 5_000

async function load() {
  const [orphans, policy] = await Promise.all([
    call(api.api.orphans.$get()),
    call(api.api.settings.cleanup.$get()).catch(() => null),
  ])
  return { ...orphans, policy: policy?.cleanup.orphans ?? null }
}

/**
 * Runners → Orphaned VMs: what the runners' sweep found on the node that no deployment owns,
 * each with a one-click destroy (asked first), and what the sweep is when there is nothing.
 */
export function OrphansSection() {
  const t = useT()
  const { data, error, refresh } = usePoll(load, REFRESH_MS)
  const [notice, setNotice] = useState<string | null>(null)

  // Arriving from the deployments list's "Review" link: bring the section into view.
  useEffect(() => {
    if (location.hash === '#orphans') {
      requestAnimationFrame(() => document.getElementById('orphans')?.scrollIntoView())
    }
  }, [])

  const orphans: OrphansView['orphans'] = data?.orphans ?? []
  const sweptAt = data?.sweptAt ?? null
  return (
    <section className="card" id="orphans" aria-labelledby="orphans-title">
      <h2 id="orphans-title" tabIndex={-1}>
        {t.orphansTitle}
        {orphans.length > 0 ? <span className="count"> {orphans.length}</span> : null}
      </h2>
      <p>{t.orphansIntro}</p>
      {error ? <Alert kind="error">{error}</Alert> : null}
      {/* Announces what a destroy did (the row it was on is gone). */}
      <div aria-live="polite" className="live-slot">
        {notice ? <Alert kind="success">{notice}</Alert> : null}
      </div>
      {data && orphans.length === 0 ? (
        <div className="empty" data-testid="orphans-empty">
          <p>
            <strong>{t.orphansEmpty}</strong> {t.orphansHow}
          </p>
        </div>
      ) : null}
      {orphans.length > 0 ? (
        <CardTable
          columns={[t.colVmid, t.colName, t.colReason, t.colState, t.colFirstSeen]}
          actions={t.actions}
        >
          {orphans.map((o) => (
            <tr key={o.vmid} data-vmid={o.vmid}>
              <td data-label={t.colVmid}>{o.vmid}</td>
              <td data-label={t.colName}>{o.name ?? '—'}</td>
              <td data-label={t.colReason}>
                {t.orphanReason[o.reason] ?? o.reason}
                {o.deploymentName ? (
                  <span className="muted"> ({o.deploymentName})</span>
                ) : o.deploymentId ? (
                  <span className="muted"> ({o.deploymentId.slice(0, 8)})</span>
                ) : null}
              </td>
              <td data-label={t.colState}>
                {(t.power as Record<string, string>)[o.status] ?? o.status}
              </td>
              <td data-label={t.colFirstSeen}>
                <time dateTime={new Date(o.firstSeenAt).toISOString()}>
                  {formatTime(o.firstSeenAt, t.lang)}
                </time>
              </td>
              <td>
                <ConfirmButton
                  danger
                  label={t.destroy}
                  ariaLabel={t.orphanDestroyLabel(o.vmid)}
                  title={t.orphanDestroyTitle(o.vmid)}
                  body={
                    <p>
                      {o.name ? <strong>{o.name}. </strong> : null}
                      {t.orphanDestroyBody}
                    </p>
                  }
                  confirmLabel={t.destroy}
                  focusAfter={() => document.getElementById('orphans-title')}
                  onConfirm={async () => {
                    setNotice(null)
                    try {
                      const r = await call(
                        api.api.orphans[':vmid'].destroy.$post({
                          param: { vmid: String(o.vmid) },
                        }),
                      )
                      setNotice(r.message)
                    } catch (err) {
                      // Gone meanwhile (destroyed, or adopted): say so and refresh.
                      if (err instanceof ApiFailure && err.status === 404) {
                        setNotice(t.orphanGone)
                      } else throw err
                    }
                    await refresh()
                  }}
                />
              </td>
            </tr>
          ))}
        </CardTable>
      ) : null}
      {data ? (
        <p className="muted">
          {sweptAt ? t.orphansLastSweep(formatAgo(sweptAt, t.lang)) : t.orphansNoSweep}{' '}
          {data.policy === 'destroy' ? t.orphansPolicyDestroy : t.orphansPolicyReport}{' '}
          <Link to="/settings#cleanup">
            {t.navSettings} → {t.cleanupTitle}
          </Link>
        </p>
      ) : null}
      {!data && !error ? <p className="loading">{t.loading}</p> : null}
    </section>
  )
}
