import type { StepName } from '../../core/protocol'
import { waitFor, type ApiClient, type DashboardSocket, type Stack } from './stack'

/** What a chaos test's failure shows of the runner process it is killing and restarting. */
interface RunnerOutput {
  stdout(): string
  stderr(): string
}

/**
 * A `.catch` for a chaos test's waits: fails with the original error, the states the dashboard
 * saw, the deployment and the runners as the API shows them, and the last output of the runner
 * (read when the failure happens: the test replaces it after the kill) and of the worker.
 */
export function explainFailure(
  api: ApiClient,
  deploymentId: string,
  dash: DashboardSocket,
  runner: () => RunnerOutput,
  stack: Stack,
): (err: unknown) => Promise<never> {
  return async (err) => {
    const d = await api.request('GET', `/api/deployments/${deploymentId}`)
    const r = await api.request('GET', '/api/runners')
    throw new Error(
      `${String(err)}; states ${dash.states.join(' → ')}\n${JSON.stringify(d.body)}\n${JSON.stringify(r.body)}\n` +
        `runner out:\n${runner().stdout().slice(-4000)}\nrunner err:\n${runner().stderr().slice(-2000)}` +
        `\nworker:\n${stack.output().slice(-4000)}`,
    )
  }
}

/** Resolves with the job's id once `step` of the deployment is running: the moment to kill. */
export function stepRunning(api: ApiClient, deploymentId: string, step: StepName): Promise<string> {
  return waitFor(
    async () => {
      const d = await api.ok<{
        deployment: { job: { id: string } | null; steps: { name: string; status: string }[] }
      }>('GET', `/api/deployments/${deploymentId}`)
      return (
        d.deployment.steps.find((s) => s.name === step)?.status === 'running' &&
        d.deployment.job?.id
      )
    },
    `step ${step} running`,
    60_000,
    20,
  )
}
