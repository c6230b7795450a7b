import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEPLOY_STEPS } from '../../core/protocol'
import { readFakeVmState } from '../../runner/src/executors/fake'
import {
  killAllRunners,
  registerRunner,
  spooledLines,
  startRunner,
  type RunnerProcess,
} from '../runner/harness'
import {
  ApiClient,
  cleanup,
  DashboardSocket,
  prepareInstall,
  startStack,
  waitFor,
  type Stack,
} from './stack'
import { explainFailure, stepRunning } from './chaos'

/**
 * Fault injection: the runner is SIGKILLed once inside each step of a deployment and
 * restarted. Every deployment must end ready with exactly one VM, and every line the runner had
 * logged before the kill (its disk spool) must reach the dashboard, in order, with no gap.
 */
let stack: Stack
let api: ApiClient
let state: string
let env: Record<string, string>
const STEP_MS = 250
const KILLED_STEP_MS = 5_000

beforeAll(async () => {
  stack = await startStack()
  api = new ApiClient(stack.url)
  const { code } = await prepareInstall(api)
  state = mkdtempSync(join(tmpdir(), 'pgd-chaos-'))
  env = {
    PATH: process.env.PATH ?? '',
    HOME: state,
    RUNNER_STATE_DIR: state,
    RUNNER_EXECUTOR: 'fake',
    RUNNER_HEARTBEAT_INTERVAL_MS: '500',
    RUNNER_BACKOFF_BASE_MS: '50',
    RUNNER_BACKOFF_MAX_MS: '500',
    RUNNER_FAKE_STEP_DELAY_MS: String(STEP_MS),
    RUNNER_FAKE_LINES_PER_STEP: '40',
  }
  await registerRunner(api.url, code, env)
}, 120_000)

afterAll(async () => {
  await killAllRunners()
  await stack?.stop()
  if (state) cleanup(state)
})

describe('runner killed inside each step', () => {
  for (const step of DEPLOY_STEPS) {
    it(`ends ready with one VM and no lost line when killed during ${step}`, async () => {
      // The step to kill in runs long, so the kill lands inside it even on a loaded machine.
      let runner: RunnerProcess = await startRunner(['run'], {
        ...env,
        RUNNER_FAKE_STEP_DELAYS: `${step}=${KILLED_STEP_MS}`,
      })
      const vmsBefore = readFakeVmState(join(state, 'fake-vms.json')).created
      const { deployment } = await api.ok<{ deployment: { id: string } }>(
        'POST',
        '/api/deployments',
        {
          name: `chaos ${step}`,
          game: 'minecraft',
          config: { eula: true },
        },
      )
      const dash = new DashboardSocket(api, deployment.id)
      await dash.opened()
      const explain = explainFailure(api, deployment.id, dash, () => runner, stack)
      const jobId = await stepRunning(api, deployment.id, step).catch(explain)
      await new Promise((r) => setTimeout(r, STEP_MS / 3))
      runner.child.kill('SIGKILL')
      await runner.exited
      const spooled = spooledLines(state, jobId)
      expect(spooled.length).toBeGreaterThan(0)

      runner = await startRunner(['run'], env)
      await waitFor(() => dash.status === 'ready', 'ready after the kill', 60_000).catch(explain)
      const detail = await api.ok<{ deployment: { lastSeq: number } }>(
        'GET',
        `/api/deployments/${deployment.id}`,
      )
      await waitFor(
        () => dash.lines.length >= detail.deployment.lastSeq,
        'every line on the dashboard',
      )
      dash.close()
      runner.child.kill('SIGTERM')
      await runner.exited

      // Gap-free and in order on the dashboard.
      expect(dash.lines.map((l) => l.seq)).toEqual(
        Array.from({ length: detail.deployment.lastSeq }, (_, i) => i + 1),
      )
      // Everything logged before the kill arrived, in the order it was logged.
      const texts = dash.lines.map((l) => l.text)
      let from = 0
      const missing: string[] = []
      for (const line of spooled) {
        const at = texts.indexOf(line.text, from)
        if (at < 0) missing.push(line.text)
        else from = at + 1
      }
      expect(missing).toEqual([])
      // Exactly one VM for this deployment.
      const vms = readFakeVmState(join(state, 'fake-vms.json'))
      expect(vms.created - vmsBefore).toBe(1)
      expect(Object.keys(vms.vms).filter((id) => id === deployment.id)).toHaveLength(1)
    }, 120_000)
  }
})
