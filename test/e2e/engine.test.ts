import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { readFakeVmState } from '../../runner/src/executors/fake'
import { killAllRunners, startRunner, type RunnerProcess, registerRunner } from '../runner/harness'
import {
  ApiClient,
  cleanup,
  DashboardSocket,
  prepareInstall,
  startStack,
  waitFor,
  type Stack,
} from './stack'
import { waitForRunnerOnline } from './fixtures'

/**
 * The engine end to end: `wrangler dev` (the real worker, D1, Durable Objects) + the real runner
 * process (bundled, as shipped) with fake executors at the Proxmox/SSH/Ansible boundary.
 */
let stack: Stack
const dirs: string[] = []
const dashboards: DashboardSocket[] = []

beforeAll(async () => {
  stack = await startStack()
}, 120_000)
afterAll(async () => {
  await stack?.stop()
})
afterEach(async () => {
  for (const d of dashboards.splice(0)) d.close()
  await killAllRunners()
  for (const d of dirs.splice(0)) cleanup(d)
})

async function runner(
  api: ApiClient,
  code: string | null,
  state: string,
  extra: Record<string, string> = {},
): Promise<RunnerProcess> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: state,
    RUNNER_STATE_DIR: state,
    RUNNER_EXECUTOR: 'fake',
    RUNNER_HEARTBEAT_INTERVAL_MS: '500',
    RUNNER_BACKOFF_BASE_MS: '50',
    RUNNER_BACKOFF_MAX_MS: '500',
    RUNNER_FAKE_STEP_DELAY_MS: '30',
    RUNNER_FAKE_LINES_PER_STEP: '25',
    ...extra,
  }
  if (code) {
    await registerRunner(api.url, code, env)
  }
  return startRunner(['run'], env)
}

describe('the engine end to end', () => {
  it('takes a deployment from create to ready, with every log line on the dashboard socket in order', async () => {
    const api = new ApiClient(stack.url)
    const { code } = await prepareInstall(api)
    const state = mkdtempSync(join(tmpdir(), 'pgd-e2e-runner-'))
    dirs.push(state)
    const proc = await runner(api, code, state)
    await waitForRunnerOnline(api)
    const { deployment } = await api.ok<{ deployment: { id: string } }>(
      'POST',
      '/api/deployments',
      {
        name: 'e2e world',
        game: 'minecraft',
        config: { eula: true },
      },
    )
    const dash = new DashboardSocket(api, deployment.id)
    dashboards.push(dash)
    await dash.opened()
    await waitFor(
      () => dash.status === 'ready',
      `ready (states so far: ${dash.states.join(' → ')})`,
      60_000,
    )

    expect(dash.states).toEqual(
      expect.arrayContaining([
        'provisioning_vm',
        'waiting_ssh',
        'provisioning_game',
        'verifying',
        'ready',
      ]),
    )
    const detail = await api.ok<{ deployment: { lastSeq: number; steps: { status: string }[] } }>(
      'GET',
      `/api/deployments/${deployment.id}`,
    )
    expect(detail.deployment.steps.every((s) => s.status === 'done')).toBe(true)
    // Complete, in order, no duplicates: exactly 1..lastSeq.
    await waitFor(
      () => dash.lines.length >= detail.deployment.lastSeq,
      'all lines on the dashboard',
    )
    expect(detail.deployment.lastSeq).toBeGreaterThanOrEqual(8 * 25)
    expect(dash.lines.map((l) => l.seq)).toEqual(
      Array.from({ length: detail.deployment.lastSeq }, (_, i) => i + 1),
    )
    const api2 = await api.ok<{ lines: { text: string }[] }>(
      'GET',
      `/api/deployments/${deployment.id}/logs?after=0&limit=10000`,
    )
    expect(api2.lines.map((l) => l.text)).toEqual(dash.lines.map((l) => l.text))
    expect(proc.stdout() + proc.stderr()).not.toContain('e2e00000-1111-2222-3333-444455556666')
  })

  it('resumes after the runner is SIGKILLed during a step: ready, one VM, no line lost', async () => {
    const api = new ApiClient(stack.url)
    await api.ok('POST', '/api/auth/login', { username: 'admin', password: 'e2e admin password' })
    const { code } = await api.ok<{ code: string }>('POST', '/api/runners', {
      name: 'e2e-runner-2',
    })
    // Retire the first test's runner so this job goes to the one we kill.
    const { runners } = await api.ok<{ runners: { id: string; name: string }[] }>(
      'GET',
      '/api/runners',
    )
    for (const r of runners.filter((r) => r.name === 'e2e-runner'))
      await api.ok('DELETE', `/api/runners/${r.id}`)
    const state = mkdtempSync(join(tmpdir(), 'pgd-e2e-runner-'))
    dirs.push(state)
    const slow = { RUNNER_FAKE_STEP_DELAYS: 'configure=3000' }
    const first = await runner(api, code, state, slow)
    const { deployment } = await api.ok<{ deployment: { id: string } }>(
      'POST',
      '/api/deployments',
      {
        name: 'kill me',
        game: 'minecraft',
        config: { eula: true },
      },
    )
    const dash = new DashboardSocket(api, deployment.id)
    dashboards.push(dash)
    await dash.opened()
    // Kill it in the middle of `configure`, after clone created the VM.
    await waitFor(
      async () => {
        const d = await api.ok<{ deployment: { steps: { name: string; status: string }[] } }>(
          'GET',
          `/api/deployments/${deployment.id}`,
        )
        return d.deployment.steps.find((s) => s.name === 'configure')?.status === 'running'
      },
      'the configure step running',
      30_000,
    )
    await new Promise((r) => setTimeout(r, 300))
    const seenBeforeKill = dash.lines.length
    first.child.kill('SIGKILL')
    await first.exited
    const second = await runner(api, null, state, slow)
    await waitFor(
      () => dash.status === 'ready',
      `ready after restart (states: ${dash.states.join(' → ')})`,
      60_000,
    )
    expect(second.child.exitCode).toBeNull()

    const detail = await api.ok<{ deployment: { lastSeq: number } }>(
      'GET',
      `/api/deployments/${deployment.id}`,
    )
    await waitFor(() => dash.lines.length >= detail.deployment.lastSeq, 'all lines')
    expect(dash.lines.map((l) => l.seq)).toEqual(
      Array.from({ length: detail.deployment.lastSeq }, (_, i) => i + 1),
    )
    expect(dash.lines.length).toBeGreaterThan(seenBeforeKill)
    const vms = readFakeVmState(join(state, 'fake-vms.json'))
    expect(vms.created).toBe(1)
  })

  it('stores every line of a 100,000-line burst before the job ends', async () => {
    const api = new ApiClient(stack.url)
    await api.ok('POST', '/api/auth/login', { username: 'admin', password: 'e2e admin password' })
    const { code } = await api.ok<{ code: string }>('POST', '/api/runners', { name: 'e2e-burst' })
    const { runners } = await api.ok<{ runners: { id: string; name: string; state: string }[] }>(
      'GET',
      '/api/runners',
    )
    for (const r of runners.filter((r) => r.name !== 'e2e-burst' && r.state !== 'revoked')) {
      await api.ok('DELETE', `/api/runners/${r.id}`)
    }
    const state = mkdtempSync(join(tmpdir(), 'pgd-e2e-runner-'))
    dirs.push(state)
    await runner(api, code, state, {
      RUNNER_FAKE_BURST_LINES: '100000',
      RUNNER_FAKE_LINES_PER_STEP: '0',
      // No pause after the burst: the verdict comes while lines may still be queued.
      RUNNER_FAKE_STEP_DELAY_MS: '0',
    })
    const { deployment } = await api.ok<{ deployment: { id: string } }>(
      'POST',
      '/api/deployments',
      {
        name: 'chatty',
        game: 'minecraft',
        config: { eula: true },
      },
    )
    const detail = await waitFor(
      async () => {
        const d = await api.ok<{ deployment: { status: string; lastSeq: number } }>(
          'GET',
          `/api/deployments/${deployment.id}`,
        )
        return d.deployment.status === 'ready' && d.deployment
      },
      'ready after the burst',
      120_000,
      200,
    )
    // The 100,000 burst lines, one "done" line per step and the job's header line: none lost
    // when the job ended.
    expect(detail.lastSeq).toBe(100_000 + 8 + 1)
  }, 180_000)
})
