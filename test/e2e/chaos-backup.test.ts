import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BannerBackend } from '../pve-sim/backend'
import type { PveSimulator } from '../pve-sim/index'
import { killAllRunners, startRunner, type RunnerProcess } from '../runner/harness'
import { stepRunning } from './chaos'
import { simProxmox, startRealRunner, startSimulator } from './sim-stack'
import { ApiClient, cleanup, startStack, waitFor, type Stack } from './stack'

/**
 * A runner SIGKILLed while Proxmox archives the VM (the game told to stop saving, vzdump's task
 * running): the restarted runner finds the backup still running, waits for it, takes its archive
 * as this job's (no second vzdump), and turns the game's saving back on; the deployment ends
 * ready with one backup.
 */
let stack: Stack
let sim: PveSimulator
let api: ApiClient
let state = ''
let env: Record<string, string> = {}
let first: RunnerProcess
let backend: BannerBackend

interface Detail {
  deployment: {
    status: string
    vmid: number | null
    lastJob: { kind: string; outcome: string } | null
  }
}

beforeAll(async () => {
  backend = new BannerBackend({ bootDelayMs: 50, minecraftPort: 25_565 })
  sim = await startSimulator({ backend, timing: { backupMs: 3_000 } })
  stack = await startStack()
  api = new ApiClient(stack.url)
  await api.ok('POST', '/api/setup', {
    username: 'admin',
    password: 'e2e admin password',
    setupCode: stack.setupCode,
  })
  await api.ok('PUT', '/api/settings/proxmox', simProxmox(sim))
  ;({
    state,
    env,
    runner: first,
  } = await startRealRunner(api, 'chaos-backup', {
    RUNNER_ADDRESS: '127.0.0.1',
    RUNNER_HEARTBEAT_INTERVAL_MS: '500',
  }))
}, 180_000)

afterAll(async () => {
  await killAllRunners()
  await stack?.stop()
  await sim?.stop()
  if (state) cleanup(state)
})

const detail = (id: string) => api.ok<Detail>('GET', `/api/deployments/${id}`)

describe('a runner killed during a backup', () => {
  it('resumes: one archive, saving back on, the deployment ready', async () => {
    const { deployment } = await api.ok<{ deployment: { id: string } }>(
      'POST',
      '/api/deployments',
      { name: 'chaos backup', game: 'minecraft', config: { eula: true, rconEnabled: true } },
    )
    const id = deployment.id
    await waitFor(
      async () => (await detail(id)).deployment.status === 'ready',
      'ready',
      90_000,
      200,
    )
    const vmid = (await detail(id)).deployment.vmid ?? 0
    const world = backend.worldOf(vmid)

    await api.ok('POST', `/api/deployments/${id}/backups`)
    await stepRunning(api, id, 'vzdump')
    await waitFor(() => sim.cluster.vm(vmid).config.lock === 'backup', 'the backup lock', 10_000)
    // Killed with the game not saving and Proxmox's task still writing.
    first.child.kill('SIGKILL')
    await first.exited
    expect(world.saving).toBe(false)

    const again = await startRunner(['run'], env)
    await waitFor(
      async () => {
        const d = (await detail(id)).deployment
        return d.status === 'ready' && d.lastJob?.kind === 'backup' && d.lastJob
      },
      'the backup ended',
      60_000,
      200,
    )
    expect((await detail(id)).deployment.lastJob?.outcome).toBe('succeeded')
    expect(world.saving).toBe(true)
    const posts = sim.requests.filter((r) => r.endpoint === 'POST /nodes/{node}/vzdump')
    expect(posts).toHaveLength(1)
    const archives = [...sim.cluster.volumes.values()].filter((v) => v.notes?.includes(id))
    expect(archives).toHaveLength(1)
    again.child.kill('SIGTERM')
    await again.exited
  })
})
