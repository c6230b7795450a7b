import { useCallback, useEffect, useState } from 'react'
import type { BackupEntry } from '../../../core/backups'
import type { DeploymentStatus } from '../../../core/deployment/status'
import type { LastJob } from '../../../core/protocol'
import { api, call, errorText } from '../api'
import { useT } from '../i18n'
import { formatTime } from '../lib/format'
import { CardTable } from './card-table'
import { ConfirmButton } from './confirm-button'
import { Alert } from './field'
import { RestoreNewButton } from './restore-new'

type Listing =
  | { state: 'loading' }
  | { state: 'ready'; storage: string; backups: BackupEntry[] }
  | { state: 'failed'; message: string }

/**
 * A deployment's backups: "Back up now" (a job, its steps and log in the timeline beside), the
 * archives on the backup storage, and delete. Read again whenever the deployment's status moves
 * (a backup ended) and on demand.
 */
export function Backups(props: {
  id: string
  name: string
  status: DeploymentStatus
  canBackup: boolean
  canRestore: boolean
  lastJob: LastJob | null | undefined
  onStarted: () => Promise<void>
}) {
  const t = useT()
  const b = t.backups
  const [listing, setListing] = useState<Listing>({ state: 'loading' })
  const [notice, setNotice] = useState<string | null>(null)
  const param = { param: { id: props.id } }

  const load = useCallback(async () => {
    try {
      const r = await call(api.api.deployments[':id'].backups.$get({ param: { id: props.id } }))
      if (r.backups === null) {
        setListing({ state: 'failed', message: r.unavailable?.message ?? '' })
      } else setListing({ state: 'ready', storage: r.storage, backups: r.backups })
    } catch (err) {
      setListing({ state: 'failed', message: errorText(err) })
    }
  }, [props.id])

  useEffect(() => {
    void load()
  }, [load, props.status])

  const failed =
    props.lastJob?.kind === 'backup' && props.lastJob.outcome === 'failed'
      ? (props.lastJob.error ?? '')
      : null
  return (
    <section className="card backups" aria-labelledby="backups-title">
      <div className="card-head">
        <h2 id="backups-title">{b.title}</h2>
        <ConfirmButton
          label={b.now}
          title={b.nowTitle(props.name)}
          body={<p>{b.nowBody}</p>}
          confirmLabel={b.now}
          disabled={!props.canBackup}
          focusAfter={() => document.getElementById('backups-title')}
          onConfirm={async () => {
            setNotice(null)
            await call(api.api.deployments[':id'].backups.$post(param))
            await props.onStarted()
          }}
        />
      </div>
      {listing.state === 'ready' ? <p className="help">{b.intro(listing.storage)}</p> : null}
      {props.status === 'backing_up' ? <Alert kind="info">{b.running}</Alert> : null}
      {props.status === 'restoring' ? <Alert kind="info">{b.restoring}</Alert> : null}
      {failed !== null && props.status !== 'backing_up' ? (
        <Alert kind="error">{b.lastFailed(failed)}</Alert>
      ) : null}
      {notice ? <Alert kind="success">{notice}</Alert> : null}
      {listing.state === 'loading' ? <p className="muted">{b.loading}</p> : null}
      {listing.state === 'failed' ? (
        <Alert kind="error">
          {b.unavailable(listing.message)}{' '}
          <button type="button" className="link" onClick={() => void load()}>
            {b.refresh}
          </button>
        </Alert>
      ) : null}
      {listing.state === 'ready' && listing.backups.length === 0 ? (
        <p className="muted" data-testid="backups-empty">
          {b.empty}
        </p>
      ) : null}
      {listing.state === 'ready' && listing.backups.length > 0 ? (
        <CardTable columns={[b.colTime, b.colSize, b.colKind, b.colVersion]} actions={t.actions}>
          {listing.backups.map((x) => {
            const when = formatTime(x.createdAt, t.lang)
            return (
              <tr key={x.volid} data-volid={x.volid}>
                <td data-label={b.colTime}>
                  <time dateTime={new Date(x.createdAt).toISOString()}>{when}</time>
                  {x.protected ? (
                    <>
                      {' '}
                      <span className="badge badge-off" title={b.protectedHelp}>
                        {b.protected}
                      </span>
                    </>
                  ) : null}
                </td>
                <td data-label={b.colSize}>{b.size(x.size)}</td>
                <td data-label={b.colKind}>{b.kind[x.kind]}</td>
                <td data-label={b.colVersion}>{x.gameVersion ?? '—'}</td>
                <td className="row-actions">
                  <ConfirmButton
                    label={b.restore}
                    ariaLabel={b.restoreLabel(when)}
                    title={b.restoreTitle(props.name, when)}
                    body={<p>{b.restoreBody}</p>}
                    confirmLabel={b.restore}
                    disabled={!props.canRestore}
                    focusAfter={() => document.getElementById('backups-title')}
                    onConfirm={async () => {
                      setNotice(null)
                      await call(
                        api.api.deployments[':id'].restore.$post({
                          ...param,
                          json: { volid: x.volid },
                        }),
                      )
                      await props.onStarted()
                    }}
                  />
                  <button
                    type="button"
                    className="secondary"
                    aria-label={x.protected ? b.unprotectLabel(when) : b.protectLabel(when)}
                    onClick={async () => {
                      setNotice(null)
                      try {
                        const r = await call(
                          api.api.deployments[':id'].backups.protection.$put({
                            ...param,
                            json: { volid: x.volid, protected: !x.protected },
                          }),
                        )
                        setListing({ state: 'ready', storage: r.storage, backups: r.backups })
                        setNotice(x.protected ? b.unprotectedDone : b.protectedDone)
                      } catch (err) {
                        setListing({ state: 'failed', message: errorText(err) })
                      }
                    }}
                  >
                    {x.protected ? b.unprotect : b.protect}
                  </button>
                  <RestoreNewButton
                    sourceId={props.id}
                    sourceName={props.name}
                    volid={x.volid}
                    when={when}
                  />
                  <ConfirmButton
                    danger
                    label={b.delete}
                    ariaLabel={b.deleteLabel(when)}
                    title={b.deleteTitle(when)}
                    body={<p>{b.deleteBody}</p>}
                    confirmLabel={b.delete}
                    disabled={x.protected}
                    focusAfter={() => document.getElementById('backups-title')}
                    onConfirm={async () => {
                      setNotice(null)
                      const r = await call(
                        api.api.deployments[':id'].backups.$delete({
                          ...param,
                          query: { volid: x.volid },
                        }),
                      )
                      setListing({ state: 'ready', storage: r.storage, backups: r.backups })
                      setNotice(b.deleted)
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
