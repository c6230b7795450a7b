import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ProxmoxConnection } from '../../core/settings'
import { BannerBackend } from '../pve-sim/backend'
import { serveGameUpstream, type GameUpstream } from '../pve-sim/game-upstream'
import { PveSimulator } from '../pve-sim/index'
import type { PveSimInput } from '../pve-sim/index'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { killAllRunners, startRunner, type RunnerProcess, registerRunner } from '../runner/harness'
import { ApiClient, cleanup, startStack, type Stack } from './stack'

/**
 * The Proxmox simulator in this process (its VMs on 127.79.x.y answer SSH and the Minecraft
 * Server List Ping) and a runner with the product's real executors pointed at it; Ansible is
 * simulated, since the simulated VMs have no real sshd.
 */
export async function startSimulator(
  input: PveSimInput & { bootDelayMs?: number } = {},
): Promise<PveSimulator> {
  const { bootDelayMs = 100, ...rest } = input
  const sim = new PveSimulator({
    guestSshPort: 2222,
    backend: new BannerBackend({ bootDelayMs, minecraftPort: 25_565 }),
    ...rest,
  })
  await sim.start()
  return sim
}

/** The simulator's connection with a pool of its own in 127.79.0.0/16. */
export function simProxmox(sim: PveSimulator): ProxmoxConnection {
  return sim.connection({
    gateway: '127.79.0.1',
    dnsServers: ['127.79.0.1'],
    ipPool: { cidr: '127.79.0.0/16', rangeStart: '127.79.0.10', rangeEnd: '127.79.3.250' },
  })
}

let upstream: Promise<GameUpstream> | null = null

/**
 * The environment that points a runner's version resolver at the simulated Mojang and PaperMC
 * services (one per test process, stateless), so a simulated provisioner never reaches for the
 * internet.
 */
export async function gameUpstreamEnv(): Promise<Record<string, string>> {
  upstream ??= serveGameUpstream()
  return (await upstream).runnerEnv()
}

/**
 * Register and start a runner with the real executors; returns it, its state folder and the
 * environment it runs with (to start it again after a kill).
 */
export async function startRealRunner(
  api: ApiClient,
  name: string,
  extra: Record<string, string> = {},
): Promise<{ runner: RunnerProcess; state: string; env: Record<string, string> }> {
  const state = mkdtempSync(join(tmpdir(), 'pgd-e2e-real-'))
  const { code } = await api.ok<{ code: string }>('POST', '/api/runners', { name })
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: state,
    RUNNER_STATE_DIR: state,
    RUNNER_EXECUTOR: 'real',
    RUNNER_PROVISIONER: 'simulated',
    ...(await gameUpstreamEnv()),
    RUNNER_HEARTBEAT_INTERVAL_MS: '1000',
    RUNNER_BACKOFF_BASE_MS: '50',
    RUNNER_BACKOFF_MAX_MS: '1000',
    ...extra,
  }
  await registerRunner(api.url, code, env)
  return { runner: await startRunner(['run'], env), state, env }
}

/** What a test file against the simulator shares; filled in by {@link useSimScene}'s beforeAll. */
export interface SimScene {
  stack: Stack
  sim: PveSimulator
  api: ApiClient
  /** Runner state folders to delete after each test. */
  dirs: string[]
}

/**
 * wrangler dev + the simulator + an admin whose Proxmox settings point at it, for the whole test
 * file; runners are killed and their folders deleted after each test, everything stopped at the end.
 */
export function useSimScene(
  options: { vars?: string[]; sim?: Parameters<typeof startSimulator>[0] } = {},
): SimScene {
  const scene = { dirs: [] as string[] } as unknown as SimScene
  beforeAll(async () => {
    scene.stack = await startStack({ vars: options.vars })
    scene.sim = await startSimulator(options.sim)
    scene.api = new ApiClient(scene.stack.url)
    await scene.api.ok('POST', '/api/setup', {
      username: 'admin',
      password: 'e2e admin password',
      setupCode: scene.stack.setupCode,
    })
    await scene.api.ok('PUT', '/api/settings/proxmox', simProxmox(scene.sim))
  }, 120_000)
  afterEach(async () => {
    await killAllRunners()
    for (const d of scene.dirs.splice(0)) cleanup(d)
  })
  afterAll(async () => {
    await scene.sim?.stop()
    await scene.stack?.stop()
  })
  return scene
}
