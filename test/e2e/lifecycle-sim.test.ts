import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { VmSteps } from '../../runner/src/proxmox/vm-steps'
import { killAllRunners } from '../runner/harness'
import { BannerBackend } from '../pve-sim/backend'
import { fingerprintOf } from '../pve-sim/ssh-server'
import { simProxmox, startRealRunner, useSimScene } from './sim-stack'
import { DashboardSocket, waitFor } from './stack'

/**
 * Operating a deployed game end to end: wrangler dev + the bundled runner with the real executors
 * + the Proxmox simulator. Stop, start and restart through the API with the VM's power state
 * checked in the simulator, the live status refreshed by the runner on the hub's interval, the
 * sweep finding a VM no deployment owns and the one-click destroy of it.
 */
const scene = useSimScene({ vars: ['STATUS_INTERVAL_MS:300', 'SWEEP_INTERVAL_MS:500'] })

interface Detail {
  deployment: { status: string; vmid: number; ip: string; live: { power: string } | null }
}

describe('operating a deployment against the simulator', () => {
  it('stops, starts and restarts the game with its VM, showing the live status all along', async () => {
    const { api, sim, dirs } = scene
    const { state } = await startRealRunner(api, 'ops-runner')
    dirs.push(state)
    const { deployment } = await api.ok<{ deployment: { id: string; ip: string } }>(
      'POST',
      '/api/deployments',
      { name: 'ops world', game: 'minecraft', config: { eula: true } },
    )
    const dash = new DashboardSocket(api, deployment.id)
    await dash.opened()
    await waitFor(() => dash.status === 'ready' || dash.status === 'failed', 'ready', 90_000)
    expect(dash.status).toBe('ready')
    const { vmid } = (await api.ok<Detail>('GET', `/api/deployments/${deployment.id}`)).deployment
    const vm = () => sim.cluster.vms.get(vmid)

    // The runner's refresh: the VM runs, the game answers the Server List Ping.
    const online = await waitFor(
      () => dash.live?.power === 'running' && dash.live.game?.online && dash.live,
      'the live status online',
      30_000,
    )
    expect(online.game).toMatchObject({ online: true, players: { online: 0, max: 20 } })

    await api.ok('POST', `/api/deployments/${deployment.id}/stop`)
    await waitFor(() => dash.status === 'stopped' || dash.status === 'failed', 'stopped', 60_000)
    expect(dash.status).toBe('stopped')
    expect(vm()?.running).toBe(false)
    expect(dash.lines.map((l) => l.text).join('\n')).toContain('asking the guest to shut down')
    const off = await waitFor(() => dash.live?.power === 'stopped' && dash.live, 'live: stopped')
    expect(off.game).toBeNull()
    // While stopped, a second stop is refused with the reason.
    const again = await api.request('POST', `/api/deployments/${deployment.id}/stop`)
    expect(again.status).toBe(409)
    expect(JSON.stringify(again.body)).toContain('already stopped')

    await api.ok('POST', `/api/deployments/${deployment.id}/start`)
    await waitFor(() => dash.status === 'ready' || dash.status === 'failed', 'ready again', 60_000)
    expect(dash.status).toBe('ready')
    expect(vm()?.running).toBe(true)
    await waitFor(
      () => dash.live?.power === 'running' && dash.live.game?.online,
      'live: online again',
      30_000,
    )

    const before = dash.states.length
    await api.ok('POST', `/api/deployments/${deployment.id}/restart`)
    await waitFor(
      () =>
        dash.states.length > before + 1 && (dash.status === 'ready' || dash.status === 'failed'),
      'restarted',
      60_000,
    )
    expect(dash.states.slice(before)).toEqual(['restarting', 'ready'])
    expect(vm()?.running).toBe(true)

    await api.ok('POST', `/api/deployments/${deployment.id}/destroy`)
    await waitFor(
      () => dash.status === 'destroyed' || dash.status === 'failed',
      'destroyed',
      60_000,
    )
    expect(dash.status).toBe('destroyed')
    expect(sim.cluster.vms.has(vmid)).toBe(false)
    // Every job's lines are in the one log, gap-free.
    expect(dash.lines.map((l) => l.seq)).toEqual(dash.lines.map((_, i) => i + 1))
    dash.close()
  })

  it('pins the VM’s SSH host key at deploy time and refuses a later job once it changed', async () => {
    const { api, sim, dirs } = scene
    const backend = sim.cluster.opts.backend
    if (!(backend instanceof BannerBackend)) throw new Error('needs the banner backend')
    dirs.push((await startRealRunner(api, 'pin-runner')).state)
    const { deployment } = await api.ok<{ deployment: { id: string } }>(
      'POST',
      '/api/deployments',
      { name: 'pinned world', game: 'minecraft', config: { eula: true } },
    )
    const dash = new DashboardSocket(api, deployment.id)
    await dash.opened()
    await waitFor(() => dash.status === 'ready' || dash.status === 'failed', 'ready', 90_000)
    expect(dash.status).toBe('ready')
    const { vmid } = (await api.ok<Detail>('GET', `/api/deployments/${deployment.id}`)).deployment
    const first = backend.hostKeyOf(vmid)
    const log = () => dash.lines.map((l) => l.text).join('\n')
    expect(log()).toContain(`pinned the VM's SSH host key: ${fingerprintOf(first)} (ssh-ed25519)`)

    // Another runner process takes the next jobs: the key comes from the deployment's checkpoint.
    await killAllRunners()
    dirs.push((await startRealRunner(api, 'pin-runner-2')).state)
    await api.ok('POST', `/api/deployments/${deployment.id}/restart`)
    await waitFor(() => dash.status === 'restarting', 'restarting', 30_000)
    await waitFor(() => dash.status === 'ready' || dash.status === 'failed', 'restarted', 60_000)
    expect(dash.status).toBe('ready')
    expect(log()).toContain(`the VM's SSH host key is the pinned one: ${fingerprintOf(first)}`)

    // Something else answers on the VM's address with another key.
    const second = backend.replaceHostKey(vmid)
    await api.ok('POST', `/api/deployments/${deployment.id}/restart`)
    await waitFor(() => dash.status === 'restarting', 'restarting again', 30_000)
    await waitFor(() => dash.status === 'failed' || dash.status === 'ready', 'the verdict', 60_000)
    const { deployment: failed } = await api.ok<{
      deployment: {
        status: string
        error: { message: string; step: string } | null
        steps: { name: string; status: string }[]
      }
    }>('GET', `/api/deployments/${deployment.id}`)
    expect(failed.status).toBe('failed')
    expect(failed.error).toMatchObject({
      step: 'wait_ssh',
      message: expect.stringContaining(
        `the VM's SSH host key changed: expected ${fingerprintOf(first)}, got ${fingerprintOf(second)}`,
      ),
    })
    expect(failed.steps.find((s) => s.name === 'verify')?.status).toBe('pending')
    dash.close()
  })

  it('finds a VM of this product that no deployment owns and destroys it on request', async () => {
    const { api, sim, dirs } = scene
    const { state } = await startRealRunner(api, 'sweep-runner')
    dirs.push(state)
    // A leftover, as a crashed tool or a deleted database row would leave: cloned and tagged for a
    // deployment this dashboard never had.
    const ghost = randomUUID()
    const steps = new VmSteps(simProxmox(sim), { log: () => {} })
    let ghostVmid: number
    try {
      const spec = {
        deploymentId: ghost,
        name: 'ghost',
        cores: 1,
        memoryMiB: 1024,
        diskGiB: 8,
        ipAddress: '127.79.3.200',
        sshPublicKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGhvc3Q ghost@test'],
      }
      ghostVmid = (await steps.allocateAndClone(spec, { log: () => {} })).vmid
      await steps.configure(ghostVmid, spec, { log: () => {} })
    } finally {
      steps.close()
    }
    const found = await waitFor(
      async () =>
        (
          await api.ok<{ orphans: { vmid: number; reason: string; deploymentId: string }[] }>(
            'GET',
            '/api/orphans',
          )
        ).orphans.find((o) => o.vmid === ghostVmid),
      'the sweep to report the leftover VM',
      30_000,
    )
    expect(found).toMatchObject({ reason: 'unknown_deployment', deploymentId: ghost })
    // Reported only: the default policy never destroys on its own.
    expect(sim.cluster.vms.has(ghostVmid)).toBe(true)

    const res = await api.ok<{ ok: boolean; message: string }>(
      'POST',
      `/api/orphans/${ghostVmid}/destroy`,
    )
    expect(res.ok).toBe(true)
    expect(sim.cluster.vms.has(ghostVmid)).toBe(false)
    const after = await api.ok<{ orphans: { vmid: number }[] }>('GET', '/api/orphans')
    expect(after.orphans.map((o) => o.vmid)).not.toContain(ghostVmid)
  })
})
