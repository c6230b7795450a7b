import { compareReleases } from '../../../core/change-plan'
import type { LiveStatus } from '../hooks/use-deployment-events'
import { api, call, type DeploymentDetail } from '../api'
import { useT } from '../i18n'
import { ConfirmButton } from './confirm-button'

/**
 * "Update available" for a deployment that follows `latest`: the runner's live status names the
 * channel's newest release, shown when it is newer than the installed one, with Update (a change
 * job: a snapshot first, rolled back if the new release does not answer). A pinned version stays
 * pinned: a quiet line says so, and nothing is offered.
 */
export function UpdateAvailable(props: {
  detail: DeploymentDetail
  /** What the last job found (the socket's, fresher than the detail's): its `version`. */
  result: unknown
  live: LiveStatus | null | undefined
  canUpdate: boolean
  onStarted: () => Promise<void>
}) {
  const tc = useT().changes
  const d = props.detail
  const channel = d.config.version
  const installed = (props.result as { version?: unknown } | null)?.version
  if (typeof channel !== 'string' || typeof installed !== 'string') return null
  if (channel !== 'latest') {
    return (
      <p className="muted version-pinned" data-testid="version-pinned">
        {tc.pinned(channel)}
      </p>
    )
  }
  const newest = props.live?.latestVersion
  if (!newest || (compareReleases(newest, installed) ?? 0) <= 0) return null
  return (
    <section className="card update-available" aria-labelledby="update-title" data-testid="update">
      <h2 id="update-title">{tc.updateTitle}</h2>
      <p>{tc.updateBody(newest, installed)}</p>
      {props.canUpdate ? (
        <ConfirmButton
          label={tc.updateTo(newest)}
          title={tc.updateConfirmTitle(d.name, newest)}
          body={tc.updateConfirmBody}
          confirmLabel={tc.updateTo(newest)}
          onConfirm={async () => {
            await call(
              api.api.deployments[':id'].update.$post({
                param: { id: d.id },
                json: { version: newest },
              }),
            )
            await props.onStarted()
          }}
        />
      ) : null}
    </section>
  )
}
