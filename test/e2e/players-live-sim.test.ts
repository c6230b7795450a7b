import { describe, expect, it } from 'vitest'
import { SIMULATED_PROVISION_FILE } from '../../runner/src/executors/simulated-provision'
import { pingMinecraft } from '../../runner/src/games/slp'
import type { BannerBackend } from '../pve-sim/backend'
import { startRealRunner, useSimScene } from './sim-stack'
import { waitFor, type ApiClient } from './stack'

/**
 * The whitelist and the operators changed without a restart, end to end: wrangler dev + the
 * bundled runner with the real executors + the Proxmox simulator, whose guest plays the role's
 * rule (player files rewritten live leave the game running) and answers RCON as Minecraft does.
 * A change of the lists alone goes through the console (`whitelist reload`, `op`, `deop`); one
 * that also moves the MOTD restarts; a console that fails falls back to a restart.
 */
const scene = useSimScene()

interface Detail {
  deployment: {
    id: string
    status: string
    vmid: number
    ip: string
    lastJob: { kind: string; outcome: string; endedAt: number } | null
  }
}

const CONFIG = {
  eula: true,
  version: '1.21.4',
  onlineMode: false,
  rconEnabled: true,
  whiteList: true,
  whitelistPlayers: ['Alex_1'],
  operators: ['Old_Op'],
}

const detail = async (api: ApiClient, id: string) =>
  (await api.ok<Detail>('GET', `/api/deployments/${id}`)).deployment

/** Change the config, wait for the change to end; the change job's log. */
async function change(api: ApiClient, id: string, config: Record<string, unknown>) {
  const since = Date.now()
  await api.ok('POST', `/api/deployments/${id}/change`, { config })
  const d = await waitFor(
    async () => {
      const d = await detail(api, id)
      return d.status === 'ready' && d.lastJob?.kind === 'change' && d.lastJob.endedAt >= since && d
    },
    'the change ended',
    90_000,
    200,
  )
  expect(d.lastJob?.outcome).toBe('succeeded')
  const logs = await api.ok<{ lines: { text: string }[] }>(
    'GET',
    `/api/deployments/${id}/logs?limit=5000`,
  )
  const texts = logs.lines.map((l) => l.text)
  const start = texts.findLastIndex((t) => t.startsWith('── change job'))
  return texts.slice(start).join('\n')
}

describe('player lists applied live through the console', () => {
  it('reloads the whitelist and ops players without a restart, restarts when it must', async () => {
    const { api, sim, dirs } = scene
    dirs.push((await startRealRunner(api, 'players-runner', { RUNNER_ADDRESS: '127.0.0.1' })).state)
    const { deployment } = await api.ok<{ deployment: { id: string } }>(
      'POST',
      '/api/deployments',
      {
        name: 'live lists',
        game: 'minecraft',
        config: CONFIG,
      },
    )
    const id = deployment.id
    await waitFor(
      async () => ['ready', 'failed'].includes((await detail(api, id)).status),
      'deployed',
      90_000,
      200,
    )
    const deployed = await api.request('GET', `/api/deployments/${id}`)
    expect(
      (deployed.body as unknown as Detail).deployment.status,
      JSON.stringify(deployed.body),
    ).toBe('ready')
    const { vmid, ip } = await detail(api, id)
    const world = (sim.cluster.opts.backend as BannerBackend).worldOf(vmid)
    const vars = () =>
      (
        JSON.parse(sim.cluster.vm(vmid).guestFiles?.[SIMULATED_PROVISION_FILE] ?? '{}') as {
          vars: { minecraft_whitelist: { name: string }[]; minecraft_ops: { name: string }[] }
        }
      ).vars
    const names = (list: { name: string }[]) => list.map((p) => p.name)
    expect(world.ops).toEqual(['Old_Op'])
    const starts = world.starts

    // The lists alone: through the console, the game never restarted.
    let config = { ...CONFIG, whitelistPlayers: ['Steve'], operators: ['New_Op'] }
    let log = await change(api, id, config)
    expect(world.starts).toBe(starts)
    expect(world.commands).toEqual(['whitelist reload', 'op New_Op', 'deop Old_Op'])
    expect(world.whitelist).toEqual(['Steve', 'New_Op'])
    expect(world.ops).toEqual(['New_Op'])
    expect(names(vars().minecraft_whitelist)).toEqual(['Steve', 'New_Op'])
    expect(names(vars().minecraft_ops)).toEqual(['New_Op'])
    expect(log).toContain('applied live: op New_Op')
    expect(log).toContain('player lists applied live through the console, no restart')

    // With the MOTD too: the game restarts as before, and reads the new files at start.
    world.commands.length = 0
    config = { ...config, motd: 'Lists and MOTD', whitelistPlayers: ['Steve', 'Zoe_2'] } as never
    log = await change(api, id, config)
    expect(world.starts).toBe(starts + 1)
    expect(world.commands).not.toContain('whitelist reload')
    expect(world.whitelist).toEqual(['Steve', 'Zoe_2', 'New_Op'])
    expect((await pingMinecraft({ host: ip, port: 25_565, timeoutMs: 2_000 })).motd).toBe(
      'Lists and MOTD',
    )
    expect(log).not.toContain('applied live')

    // The console drops every command: the change still holds, through a restart.
    world.consoleBroken = true
    log = await change(api, id, { ...config, operators: ['New_Op', 'Third_Op'] })
    world.consoleBroken = false
    expect(world.starts).toBe(starts + 2)
    expect(world.ops).toEqual(['New_Op', 'Third_Op'])
    expect(log).toContain('restarting the game to load them instead')
    expect(names(vars().minecraft_ops)).toEqual(['New_Op', 'Third_Op'])
  })
})
