import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEPLOY_STEPS } from '../../core/protocol'
import { deploymentTag } from '../../core/vm-spec'
import { BannerBackend } from '../pve-sim/backend'
import type { PveSimulator } from '../pve-sim/index'
import {
  killAllRunners,
  registerRunner,
  spooledLines,
  startRunner,
  type RunnerProcess,
} from '../runner/harness'
import { gameUpstreamEnv, startSimulator } from './sim-stack'
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
 * Fault injection with the product's real executors against the Proxmox simulator: the
 * runner is SIGKILLed once inside each step (a clone, config, resize or start task still running
 * in the simulator; the SSH wait; the simulated playbook; the game check) and restarted. Every
 * deployment must end ready with exactly one VM in the simulator, and every line seen before the
 * kill (on the dashboard, and in the runner's spool) must be in the final log, which has no gap.
 */

/** How long each step takes, so that a kill lands inside it. */
const STEP_MS = 1_000
/**
 * The game answers this long after the simulated playbook wrote its config into the guest (the
 * service's start-up), so verify retries for about two seconds, and the kill lands inside it.
 */
const GAME_AFTER_PROVISION_MS = 2_000
const SSH_PORT = 2222

let stack: Stack
let sim: PveSimulator
let api: ApiClient
let state: string
let env: Record<string, string>

beforeAll(async () => {
  sim = await startSimulator({
    guestSshPort: SSH_PORT,
    // sshd after STEP_MS (wait_ssh), the game GAME_AFTER_PROVISION_MS after provision (verify).
    backend: new BannerBackend({ bootDelayMs: STEP_MS, gameDelayMs: GAME_AFTER_PROVISION_MS }),
    timing: {
      cloneMs: STEP_MS,
      tempConfigDelayMs: 0,
      configMs: STEP_MS,
      resizeMs: STEP_MS,
      startMs: STEP_MS,
      stopMs: 0,
      destroyMs: 0,
    },
  })
  stack = await startStack()
  api = new ApiClient(stack.url)
  // A pool of its own in 127.86.0.0/16, away from the other simulator tests' addresses and the
  // real-VM tier's 127.83.0.0/16 (its VM's host forwards would answer this test's checks).
  const { code } = await prepareInstall(
    api,
    sim.connection({
      gateway: '127.86.0.1',
      dnsServers: ['127.86.0.1'],
      ipPool: { cidr: '127.86.0.0/16', rangeStart: '127.86.0.10', rangeEnd: '127.86.3.250' },
    }),
  )
  state = mkdtempSync(join(tmpdir(), 'pgd-chaos-real-'))
  env = {
    PATH: process.env.PATH ?? '',
    HOME: state,
    RUNNER_STATE_DIR: state,
    RUNNER_EXECUTOR: 'real',
    RUNNER_PROVISIONER: 'simulated',
    ...(await gameUpstreamEnv()),
    // Eight playbook tasks: the provision step lasts about STEP_MS.
    RUNNER_SIMULATED_TASK_MS: String(STEP_MS / 8),
    RUNNER_HEARTBEAT_INTERVAL_MS: '500',
    RUNNER_BACKOFF_BASE_MS: '50',
    RUNNER_BACKOFF_MAX_MS: '500',
  }
  await registerRunner(api.url, code, env)
}, 180_000)

afterAll(async () => {
  await killAllRunners()
  await stack?.stop()
  await sim?.stop()
  if (state) cleanup(state)
})

/** Texts of `seen` that are not in `final` in the same order (none, when nothing was lost). */
function missingInOrder(seen: readonly string[], final: readonly string[]): string[] {
  const missing: string[] = []
  let from = 0
  for (const text of seen) {
    const at = final.indexOf(text, from)
    if (at < 0) missing.push(text)
    else from = at + 1
  }
  return missing
}

/** The simulator's VMs made for this deployment (by the tag the runner puts on them). */
function vmsOf(deploymentId: string): number[] {
  const tag = deploymentTag(deploymentId)
  return [...sim.cluster.vms.values()]
    .filter((vm) => (vm.config.tags ?? '').split(/[;,\s]/).includes(tag))
    .map((vm) => vm.vmid)
}

/** Every step but allocate, which takes no time with the real executors (nothing to kill in). */
const KILLED_IN = DEPLOY_STEPS.filter((s) => s !== 'allocate')

describe('runner killed inside each step, real executors against the simulator', () => {
  for (const step of KILLED_IN) {
    it(`ends ready with one VM and no lost line when killed during ${step}`, async () => {
      let runner: RunnerProcess = await startRunner(['run'], env)
      const vmsBefore = sim.cluster.vms.size
      const { deployment } = await api.ok<{ deployment: { id: string } }>(
        'POST',
        '/api/deployments',
        { name: `chaos real ${step}`, game: 'minecraft', config: { eula: true } },
      )
      const dash = new DashboardSocket(api, deployment.id)
      await dash.opened()
      const explain = explainFailure(api, deployment.id, dash, () => runner, stack)
      const jobId = await stepRunning(api, deployment.id, step).catch(explain)
      await new Promise((r) => setTimeout(r, STEP_MS / 3))
      runner.child.kill('SIGKILL')
      await runner.exited
      // What had been seen before the kill: on the dashboard, and in the runner's spool.
      const onDashboard = dash.lines.map((l) => l.text)
      const spooled = spooledLines(state, jobId).map((l) => l.text)
      expect(spooled.length).toBeGreaterThan(0)
      const detailBefore = await api.ok<{
        deployment: { steps: { name: string; status: string }[] }
      }>('GET', `/api/deployments/${deployment.id}`)
      // The kill landed inside the step, not after it.
      expect(detailBefore.deployment.steps.find((s) => s.name === step)?.status).toBe('running')

      runner = await startRunner(['run'], env)
      await waitFor(() => dash.status === 'ready', 'ready after the kill', 90_000).catch(explain)
      dash.close()
      runner.child.kill('SIGTERM')
      await runner.exited

      // The final log, replayed from the start: gap-free and in order.
      const detail = await api.ok<{ deployment: { lastSeq: number; vmid: number | null } }>(
        'GET',
        `/api/deployments/${deployment.id}`,
      )
      const replay = new DashboardSocket(api, deployment.id)
      await replay.opened()
      await waitFor(
        () => replay.lines.length >= detail.deployment.lastSeq,
        'the whole log replayed',
      )
      replay.close()
      expect(replay.lines.map((l) => l.seq)).toEqual(
        Array.from({ length: detail.deployment.lastSeq }, (_, i) => i + 1),
      )
      const final = replay.lines.map((l) => l.text)
      expect(missingInOrder(onDashboard, final)).toEqual([])
      expect(missingInOrder(spooled, final)).toEqual([])
      // Exactly one VM for this deployment, the one the deployment names.
      expect(vmsOf(deployment.id)).toEqual([detail.deployment.vmid])
      expect(sim.cluster.vms.size - vmsBefore).toBe(1)
    }, 120_000)
  }
})
