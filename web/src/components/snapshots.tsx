import { useCallback, useEffect, useState } from 'react'
import type { DeploymentStatus } from '../../../core/deployment/status'
import type { SnapshotView } from '../../../core/snapshots'
import { api, call, errorText } from '../api'
import { useT } from '../i18n'
import { formatTime } from '../lib/format'
import { settingLabel } from '../lib/games'
import { CardTable } from './card-table'
import { ConfirmButton } from './confirm-button'
import { Alert } from './field'

type Listing =
  | { state: 'loading' }
  | { state: 'ready'; cap: number; snapshots: SnapshotView[] }
  | { state: 'failed'; message: string }

/** Statuses in which no job works on the VM, so a snapshot may be deleted. */
const SETTLED: readonly DeploymentStatus[] = ['ready', 'stopped', 'failed', 'cancelled']

/**
 * A deployment's VM snapshots, read by a runner: when each was taken, which change it came
 * before, how many of the product's are kept of the cap; delete one (confirmed). Read again when
 * the deployment's status moves (a change ended) and on demand.
 */
export function Snapshots(props: { id: string; game: string; status: DeploymentStatus }) {
  const t = useT()
  const s = t.snapshots
  const [listing, setListing] = useState<Listing>({ state: 'loading' })
  const [notice, setNotice] = useState<string | null>(null)

  const load = useCallback(async () => {
    try {
      const r = await call(api.api.deployments[':id'].snapshots.$get({ param: { id: props.id } }))
      if (r.snapshots === null) {
        const why =
          r.unavailable?.code === 'no_runner' ? s.noRunner : (r.unavailable?.message ?? '')
        setListing({ state: 'failed', message: why })
      } else setListing({ state: 'ready', cap: r.cap, snapshots: r.snapshots })
    } catch (err) {
      setListing({ state: 'failed', message: errorText(err) })
    }
  }, [props.id, s.noRunner])

  useEffect(() => {
    void load()
  }, [load, props.status])

  const settled = SETTLED.includes(props.status)
  const kept = listing.state === 'ready' ? listing.snapshots.filter((x) => x.ours).length : 0
  return (
    <section className="card snapshots" aria-labelledby="snapshots-title">
      <div className="card-head">
        <h2 id="snapshots-title">{s.title}</h2>
        {listing.state === 'ready' ? (
          <span className="badge" data-testid="snapshots-kept">
            {s.kept(kept, listing.cap)}
          </span>
        ) : null}
      </div>
      <p className="help">{s.intro}</p>
      {!settled ? <Alert kind="info">{s.busy}</Alert> : null}
      {notice ? <Alert kind="success">{notice}</Alert> : null}
      {listing.state === 'loading' ? <p className="muted">{s.loading}</p> : null}
      {listing.state === 'failed' ? (
        <Alert kind="error">
          {s.unavailable(listing.message)}{' '}
          <button type="button" className="link" onClick={() => void load()}>
            {s.refresh}
          </button>
        </Alert>
      ) : null}
      {listing.state === 'ready' && listing.snapshots.length === 0 ? (
        <p className="muted" data-testid="snapshots-empty">
          {s.empty}
        </p>
      ) : null}
      {listing.state === 'ready' && listing.snapshots.length > 0 ? (
        <CardTable columns={[s.colTime, s.colChange, s.colName]} actions={t.actions}>
          {listing.snapshots.map((x) => {
            const when = x.snaptime ? formatTime(x.snaptime * 1000, t.lang) : '—'
            // What the change moved, from the API's data, in the admin's language.
            const summary = (x.changes ?? [])
              .map((l) => {
                const label = settingLabel(props.game, t.lang, t.changes.sizingLabels, l.key)
                return l.secret ? s.secretChanged(label) : s.fieldChange(label, l.from, l.to)
              })
              .join(s.changeSeparator)
            return (
              <tr key={x.name} data-snapshot={x.name}>
                <td data-label={s.colTime}>
                  {x.snaptime ? (
                    <time dateTime={new Date(x.snaptime * 1000).toISOString()}>{when}</time>
                  ) : (
                    when
                  )}
                </td>
                <td data-label={s.colChange}>
                  {x.ours ? (summary ? s.beforeChange(summary) : s.aChange) : s.byHand}
                </td>
                <td data-label={s.colName}>
                  <code>{x.name}</code>
                </td>
                <td className="row-actions">
                  <ConfirmButton
                    danger
                    label={s.delete}
                    ariaLabel={s.deleteLabel(when)}
                    title={s.deleteTitle(when)}
                    body={<p>{s.deleteBody}</p>}
                    confirmLabel={s.delete}
                    disabled={!settled}
                    focusAfter={() => document.getElementById('snapshots-title')}
                    onConfirm={async () => {
                      setNotice(null)
                      const r = await call(
                        api.api.deployments[':id'].snapshots[':name'].$delete({
                          param: { id: props.id, name: x.name },
                        }),
                      )
                      setListing({ state: 'ready', cap: r.cap, snapshots: r.snapshots })
                      setNotice(s.deleted)
                    }}
                  />
                </td>
              </tr>
            )
          })}
        </CardTable>
      ) : null}
    </section>
  )
}
