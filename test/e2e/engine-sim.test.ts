import { SIMULATED_RELEASES } from '../pve-sim/game-upstream'
import { describe, expect, it } from 'vitest'
import { startRealRunner, useSimScene } from './sim-stack'
import { DashboardSocket, waitFor } from './stack'
import { waitForRunnerOnline } from './fixtures'

/**
 * The engine end to end with the product's real executors against the Proxmox simulator:
 * wrangler dev + the bundled runner (real Proxmox client, SSH wait and health check) + the
 * simulator, all on loopback.
 */
const scene = useSimScene()

const ourVms = () => [...scene.sim.cluster.vms.values()].filter((vm) => vm.config.template !== '1')

describe('the engine against the Proxmox simulator', () => {
  it('deploys a VM that answers, then destroys it, leaving nothing behind', async () => {
    const { api, sim, dirs } = scene
    const { state } = await startRealRunner(api, 'sim-runner')
    dirs.push(state)
    await waitForRunnerOnline(api, 'sim-runner')
    const check = await api.ok<{ checks: { name: string; ok: boolean }[] }>(
      'POST',
      '/api/settings/proxmox/test',
    )
    expect(check.checks.every((c) => c.ok)).toBe(true)
    const { deployment } = await api.ok<{ deployment: { id: string; ip: string } }>(
      'POST',
      '/api/deployments',
      {
        name: 'sim world',
        game: 'minecraft',
        config: { eula: true },
      },
    )
    const dash = new DashboardSocket(api, deployment.id)
    await dash.opened()
    await waitFor(() => dash.status === 'ready' || dash.status === 'failed', 'ready', 90_000)
    expect(dash.status).toBe('ready')
    const detail = await api.ok<{
      deployment: { vmid: number; result: { address: string; version: string } }
    }>('GET', `/api/deployments/${deployment.id}`)
    expect(detail.deployment.result.address).toBe(`${deployment.ip}:25565`)
    // `latest`, resolved through the simulated Mojang metadata, and answered by the guest.
    expect(detail.deployment.result.version).toBe(SIMULATED_RELEASES.at(-1))
    const vm = sim.cluster.vms.get(detail.deployment.vmid)
    expect(vm?.running).toBe(true)
    expect(vm?.config.tags).toContain(`pgd-${deployment.id}`)
    expect(vm?.config.ipconfig0).toContain(deployment.ip)
    // Every line of the deployment reached the dashboard, in order.
    const lines = dash.lines.map((l) => l.text).join('\n')
    expect(lines).toContain('SSH is up on')
    expect(lines).toContain('verify:')

    await api.ok('POST', `/api/deployments/${deployment.id}/destroy`)
    await waitFor(
      () => dash.status === 'destroyed' || dash.status === 'failed',
      'destroyed',
      60_000,
    )
    expect(dash.status).toBe('destroyed')
    expect(sim.cluster.vms.has(detail.deployment.vmid)).toBe(false)
    dash.close()
  })

  it('brings 20 concurrent deployments to ready through 10% transient faults, with no VMID collision', async () => {
    const { api, sim, dirs } = scene
    sim.options.faults.errorRate = 0.1
    sim.options.faults.lockTimeouts = 3
    sim.options.faults.loseRace = 3
    try {
      const before = new Set(ourVms().map((vm) => vm.vmid))
      const { state } = await startRealRunner(api, 'sim-runner-2', { RUNNER_MAX_JOBS: '20' })
      dirs.push(state)
      const ids = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          api
            .ok<{ deployment: { id: string } }>('POST', '/api/deployments', {
              name: `chaos ${i}`,
              game: 'minecraft',
              config: { eula: true },
            })
            .then((r) => r.deployment.id),
        ),
      )
      const settled = await waitFor(
        async () => {
          const { deployments } = await api.ok<{
            deployments: { id: string; status: string; vmid: number | null }[]
          }>('GET', '/api/deployments?limit=200')
          const mine = deployments.filter((d) => ids.includes(d.id))
          return mine.every((d) => d.status === 'ready' || d.status === 'failed') && mine
        },
        '20 deployments settled',
        240_000,
        500,
      )
      const failed = settled.filter((d) => d.status !== 'ready')
      expect(failed.map((d) => d.id)).toEqual([])
      const vmids = settled.map((d) => d.vmid)
      expect(new Set(vmids).size).toBe(20)
      // Exactly one VM per deployment: the lost races made foreign VMs, not ours twice.
      const created = ourVms().filter((vm) => !before.has(vm.vmid) && !vm.foreign)
      expect(created.map((vm) => vm.vmid).sort()).toEqual([...vmids].sort())
    } finally {
      sim.options.faults.errorRate = 0
    }
  }, 300_000)
})
