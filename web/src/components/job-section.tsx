import type { ReactNode } from 'react'
import { ApiFailure } from '../api'
import type { useDeploymentEvents } from '../hooks/use-deployment-events'
import { Alert } from './field'
import { LogPane } from './log-pane'
import { Timeline } from './timeline'

/**
 * A Settings job's progress (the template job, the bake job): its failure, what the caller adds
 * (a success line, a retry button), its steps and its live log.
 */
export function JobSection(props: {
  id: string
  title: string
  live: ReturnType<typeof useDeploymentEvents>
  /** `data-<statusAttr>` carries the job's status, for tests. */
  statusAttr: 'template-status' | 'bake-status'
  children?: ReactNode
}) {
  const { live } = props
  const state = live.state
  if (!state) return null
  const status = state.status
  return (
    <section aria-label={props.title} {...{ [`data-${props.statusAttr}`]: status }}>
      {props.children}
      {status === 'failed' && state.error ? (
        <Alert kind="error">
          {state.error.message}
          {state.error.detail ? <pre className="error-detail">{state.error.detail}</pre> : null}
        </Alert>
      ) : null}
      <Timeline steps={state.steps} />
      <LogPane
        deploymentId={props.id}
        name={props.title}
        log={live.log}
        version={live.version}
        connection={live.connection}
      />
    </section>
  )
}

/** An error of an API call as the forms show it. */
export function asFailure(err: unknown): ApiFailure {
  return err instanceof ApiFailure ? err : new ApiFailure(0, 'unknown', String(err))
}
