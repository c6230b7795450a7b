import { useState } from 'react'
import type { ApiFailure } from '../api'
import { asFailure } from '../components/job-section'
import { useDeploymentEvents } from './use-deployment-events'

const ENDED = ['ready', 'failed', 'cancelled', 'destroyed']

/**
 * What a Settings job's card holds (the template job, the bake job): the job, its live state,
 * whether it still runs, and the form's busy flag and failure around each API action.
 */
export function useSettingsJob<J extends { id: string; status: string }>() {
  const [job, setJob] = useState<J | null>(null)
  const [failure, setFailure] = useState<ApiFailure | null>(null)
  const [busy, setBusy] = useState(false)
  const live = useDeploymentEvents(job?.id ?? null)
  const status = live.state?.status ?? job?.status ?? null
  const running = status !== null && !ENDED.includes(status)
  /** Shows an API call's failure on the card. */
  const fail = (err: unknown) => setFailure(asFailure(err))
  /** One API action with the form busy and the last failure cleared; a new one is shown. */
  async function act(action: () => Promise<void>): Promise<void> {
    setBusy(true)
    setFailure(null)
    try {
      await action()
    } catch (err) {
      fail(err)
    } finally {
      setBusy(false)
    }
  }
  return { job, setJob, live, status, running, failure, fail, busy, act }
}
