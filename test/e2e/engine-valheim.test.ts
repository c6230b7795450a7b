import { describe, expect, it } from 'vitest'
import { BannerBackend } from '../pve-sim/backend'
import { startRealRunner, useSimScene } from './sim-stack'
import { DashboardSocket, waitFor } from './stack'
import { waitForRunnerOnline } from './fixtures'

/**
 * The second game end to end: a Valheim deployment through the API, the bundled runner with its
 * real executors (Ansible simulated) and the Proxmox simulator, whose booted guests answer Steam's
 * A2S_INFO on Valheim's query port (test/pve-sim/game-responder.ts). Nothing in worker/, runner/
 * or web/ knows Valheim beyond the game registry.
 */
const GAME_PORT = 2456
const QUERY_PORT = GAME_PORT + 1

const scene = useSimScene({
  sim: { backend: new BannerBackend({ bootDelayMs: 100, valheimQueryPort: QUERY_PORT }) },
})

describe('a Valheim deployment against the Proxmox simulator', () => {
  it('is refused by the API when the password contains the server name, naming the field', async () => {
    const { api } = scene
    const res = await api.request<{ error: { details: { path: string; message: string }[] } }>(
      'POST',
      '/api/deployments',
      {
        name: 'bad password',
        game: 'valheim',
        config: { serverName: 'Vikings', password: 'vikings!' },
      },
    )
    expect([res.status, res.body.error.details[0]]).toEqual([
      400,
      {
        path: 'config.password',
        message: 'must not contain the server name, nor be part of it: Valheim refuses to start',
      },
    ])
  })

  it('reaches ready with the A2S health check in its result, then is destroyed', async () => {
    const { api, sim, dirs } = scene
    const { state } = await startRealRunner(api, 'valheim-runner')
    dirs.push(state)
    await waitForRunnerOnline(api, 'valheim-runner')
    const { deployment } = await api.ok<{ deployment: { id: string; ip: string } }>(
      'POST',
      '/api/deployments',
      {
        name: 'midgard',
        game: 'valheim',
        config: { serverName: 'Odin', worldName: 'Midgard', password: 'ravens-2' },
      },
    )
    const dash = new DashboardSocket(api, deployment.id)
    await dash.opened()
    await waitFor(() => dash.status === 'ready' || dash.status === 'failed', 'ready', 90_000)
    expect(dash.status).toBe('ready')

    const detail = await api.ok<{
      deployment: {
        vmid: number
        game: string
        result: {
          address: string
          latencyMs: number
          name: string
          version: string
          players: { online: number; max: number }
        }
        sizing: { cores: number; memoryMiB: number; diskGiB: number }
      }
    }>('GET', `/api/deployments/${deployment.id}`)
    expect(detail.deployment.game).toBe('valheim')
    // The verify step asked the query port, where the guest answered A2S_INFO; players connect
    // to the game port, which is the address shown.
    expect(detail.deployment.result.address).toBe(`${deployment.ip}:${GAME_PORT}`)
    expect(detail.deployment.result).toMatchObject({
      version: '0.220.5 (simulated)',
      players: { online: 0, max: 10 },
    })
    expect(detail.deployment.result.latencyMs).toBeGreaterThanOrEqual(0)
    expect(detail.deployment.sizing).toEqual({ cores: 2, memoryMiB: 4096, diskGiB: 20 })
    const vm = sim.cluster.vms.get(detail.deployment.vmid)
    expect([vm?.running, vm?.config.cores, vm?.config.memory]).toEqual([true, '2', '4096'])

    const lines = dash.lines.map((l) => l.text).join('\n')
    expect(lines).toContain('would run provision_valheim.yml')
    expect(lines).not.toContain('ravens-2')

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
})
