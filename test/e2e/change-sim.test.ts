import { describe, expect, it } from 'vitest'
import { SIMULATED_PROVISION_FILE } from '../../runner/src/executors/simulated-provision'
import { pingMinecraft } from '../../runner/src/games/slp'
import { startRunner } from '../runner/harness'
import type { BannerBackend } from '../pve-sim/backend'
import { stepRunning } from './chaos'
import { startRealRunner, useSimScene } from './sim-stack'
import { waitFor, type ApiClient } from './stack'

/**
 * Changing a deployed game end to end: wrangler dev + the bundled runner with the real executors
 * + the Proxmox simulator. A change takes a snapshot, resizes the VM through Proxmox, runs the
 * (simulated) playbook with the new settings and checks the game answers with them; a change
 * whose game does not come back is rolled back to the snapshot and the old settings answer; a
 * runner killed mid-change is replaced and the change completes; a downgrade is refused.
 */
const scene = useSimScene()

interface Detail {
  deployment: {
    id: string
    status: string
    vmid: number
    ip: string
    config: Record<string, unknown>
    sizing: { cores: number; memoryMiB: number; diskGiB: number }
    result: { motd?: string; version?: string; players?: { max: number } } | null
    lastJob: {
      kind: string
      outcome: string
      error?: string
      rolledBack?: boolean
      endedAt: number
    } | null
  }
}

const CONFIG = {
  eula: true,
  version: '1.21.4',
  motd: 'Before the change',
  maxPlayers: 20,
  memoryMb: 4096,
  diskGb: 16,
}

const detail = async (api: ApiClient, id: string) =>
  (await api.ok<Detail>('GET', `/api/deployments/${id}`)).deployment

async function deploy(api: ApiClient, name: string): Promise<Detail['deployment']> {
  const { deployment } = await api.ok<{ deployment: { id: string } }>('POST', '/api/deployments', {
    name,
    game: 'minecraft',
    config: CONFIG,
  })
  await waitFor(
    async () => ['ready', 'failed'].includes((await detail(api, deployment.id)).status),
    'deployed',
    90_000,
    200,
  )
  const d = await detail(api, deployment.id)
  expect(d.status).toBe('ready')
  return d
}

/** Wait until the change (or its rollback) has ended, after `since`. */
async function changeEnded(api: ApiClient, id: string, since: number) {
  return waitFor(
    async () => {
      const d = await detail(api, id)
      return d.status === 'ready' && d.lastJob?.kind === 'change' && d.lastJob.endedAt >= since && d
    },
    'the change ended',
    90_000,
    200,
  ).catch(async (err: unknown) => {
    const d = await api.request('GET', `/api/deployments/${id}`)
    throw new Error(`${String(err)}: ${JSON.stringify(d.body).slice(0, 3000)}`)
  })
}

const ping = (ip: string) => pingMinecraft({ host: ip, port: 25_565, timeoutMs: 2_000 })

describe('changing a deployment against the simulator', () => {
  it('changes MOTD, slots, memory, disk and version, and refuses a downgrade', async () => {
    const { api, sim, dirs } = scene
    dirs.push((await startRealRunner(api, 'change-runner')).state)
    const d = await deploy(api, 'change world')
    expect((await ping(d.ip)).motd).toBe('Before the change')
    // The NIC as the deploy set it: its MAC is part of cloud-init's identity for the VM.
    const net0 = sim.cluster.vm(d.vmid).config.net0

    const since = Date.now()
    const config = {
      ...CONFIG,
      motd: 'After the change',
      maxPlayers: 42,
      memoryMb: 6144,
      diskGb: 24,
      version: '1.21.5',
    }
    await api.ok('POST', `/api/deployments/${d.id}/change`, { config })
    const after = await changeEnded(api, d.id, since)
    expect(after.lastJob?.outcome).toBe('succeeded')
    // Verify saw the new values, and so does a fresh Server List Ping.
    expect(after.result).toMatchObject({ motd: 'After the change', players: { max: 42 } })
    const answer = await ping(d.ip)
    expect(answer).toMatchObject({ motd: 'After the change', playersMax: 42, version: '1.21.5' })
    // Proxmox's config shows the new memory and the grown disk; a snapshot was taken first.
    const vm = sim.cluster.vm(d.vmid)
    expect(vm.config.memory).toBe('6144')
    // Only the size was written: a new MAC would mean a new cloud-init instance-id, and new SSH
    // host keys at the restart, which the key pinned at deploy refuses (docs/proxmox-api.md#cloud-init).
    expect(vm.config.net0).toBe(net0)
    expect(vm.config.scsi0).toMatch(/size=24G/)
    expect(vm.snapshots?.map((s) => s.name)).toEqual([expect.stringMatching(/^pgd-change-/)])
    // The API shows what is deployed now; the pinned version stays pinned.
    expect(after.config).toMatchObject({ motd: 'After the change', version: '1.21.5' })
    expect(after.sizing).toEqual({ cores: 2, memoryMiB: 6144, diskGiB: 24 })

    // The audit row holds the diff.
    const audit = await api.ok<{ entries: { action: string; details: unknown }[] }>(
      'GET',
      '/api/audit?limit=50',
    )
    const row = audit.entries.find((e) => e.action === 'deployment.change_requested')
    expect(JSON.stringify(row?.details)).toContain('"key":"motd"')

    // Back to an older release: refused with the reason, nothing queued.
    const down = await api.request('POST', `/api/deployments/${d.id}/change`, {
      config: { ...config, version: '1.21.4' },
    })
    expect(down.status).toBe(409)
    expect(JSON.stringify(down.body)).toContain('world format')
    expect((await detail(api, d.id)).status).toBe('ready')
    // A shrinking disk too.
    const shrink = await api.request('POST', `/api/deployments/${d.id}/change`, {
      config: { ...config, diskGb: 16 },
    })
    expect(shrink.status).toBe(409)
    expect(JSON.stringify(shrink.body)).toContain('the disk can only grow')
  })

  it('rolls a change whose game does not come back to its snapshot: the old settings answer', async () => {
    const { api, sim, dirs } = scene
    dirs.push(
      (await startRealRunner(api, 'rollback-runner', { RUNNER_VERIFY_TIMEOUT_MS: '3000' })).state,
    )
    const d = await deploy(api, 'rollback world')
    const backend = sim.cluster.opts.backend as BannerBackend
    backend.crashingProvisions = 1
    const since = Date.now()
    await api.ok('POST', `/api/deployments/${d.id}/change`, {
      config: { ...CONFIG, motd: 'A setting the server refuses', maxPlayers: 99 },
    })
    const after = await changeEnded(api, d.id, since)
    expect(after.status).toBe('ready')
    expect(after.lastJob).toMatchObject({ outcome: 'failed', rolledBack: true })
    expect(after.lastJob?.error).toContain('verify')
    expect(after.lastJob?.error).toContain('rolled back to snapshot pgd-change-')
    expect(await ping(d.ip)).toMatchObject({ motd: 'Before the change', playersMax: 20 })
    expect(after.config).toMatchObject({ motd: 'Before the change', maxPlayers: 20 })
    expect(after.result).toMatchObject({ motd: 'Before the change' })

    // Retry: the same change again (the fault is gone), now it holds.
    const again = Date.now()
    await api.ok('POST', `/api/deployments/${d.id}/retry`)
    const retried = await changeEnded(api, d.id, again)
    expect(retried.lastJob?.outcome).toBe('succeeded')
    expect(await ping(d.ip)).toMatchObject({ motd: 'A setting the server refuses', playersMax: 99 })
  })

  it('finishes a change whose runner was SIGKILLed mid-way, never half-changed', async () => {
    const { api, dirs } = scene
    const first = await startRealRunner(api, 'kill-runner', { RUNNER_SIMULATED_TASK_MS: '400' })
    dirs.push(first.state)
    const d = await deploy(api, 'killed world')
    const since = Date.now()
    await api.ok('POST', `/api/deployments/${d.id}/change`, {
      config: { ...CONFIG, motd: 'Changed across a crash', maxPlayers: 30 },
    })
    await stepRunning(api, d.id, 'provision')
    first.runner.child.kill('SIGKILL')
    await first.runner.exited
    expect((await detail(api, d.id)).status).toBe('changing')
    const again = await startRunner(['run'], first.env)
    const after = await changeEnded(api, d.id, since)
    expect(after.lastJob?.outcome).toBe('succeeded')
    expect(await ping(d.ip)).toMatchObject({ motd: 'Changed across a crash', playersMax: 30 })
    again.child.kill('SIGTERM')
    await again.exited
  })

  it('rolls back a change cancelled mid-way: the old settings answer', async () => {
    const { api, dirs } = scene
    dirs.push(
      (await startRealRunner(api, 'cancel-runner', { RUNNER_SIMULATED_TASK_MS: '400' })).state,
    )
    const d = await deploy(api, 'cancelled world')
    const since = Date.now()
    await api.ok('POST', `/api/deployments/${d.id}/change`, {
      config: { ...CONFIG, motd: 'Never applied', maxPlayers: 5 },
    })
    await stepRunning(api, d.id, 'provision')
    await api.ok('POST', `/api/deployments/${d.id}/cancel`)
    const after = await changeEnded(api, d.id, since)
    expect(after.lastJob).toMatchObject({ outcome: 'cancelled', rolledBack: true })
    expect(await ping(d.ip)).toMatchObject({ motd: 'Before the change', playersMax: 20 })
    expect(after.config).toMatchObject({ motd: 'Before the change' })
  })

  it('changes Valheim’s world modifiers and password through the same path, the password sealed', async () => {
    const { api, sim, dirs } = scene
    dirs.push((await startRealRunner(api, 'valheim-change-runner')).state)
    const base = { serverName: 'Odin', worldName: 'Midgard', password: 'ravens-2' }
    const { deployment } = await api.ok<{ deployment: { id: string } }>(
      'POST',
      '/api/deployments',
      {
        name: 'midgard change',
        game: 'valheim',
        config: base,
      },
    )
    const id = deployment.id
    await waitFor(async () => (await detail(api, id)).status === 'ready', 'deployed', 90_000, 200)
    const provisioned = async () => {
      const vm = sim.cluster.vm((await detail(api, id)).vmid)
      return JSON.parse(vm.guestFiles?.[SIMULATED_PROVISION_FILE] ?? '{}') as {
        vars: { valheim_modifiers?: Record<string, string>; valheim_password?: string }
      }
    }
    // The guest's server config holds the password it was given (a real server's does too).
    expect((await provisioned()).vars.valheim_password).toBe('ravens-2')

    let since = Date.now()
    await api.ok('POST', `/api/deployments/${id}/change`, {
      config: { ...base, password: 'wolves-33', combat: 'hard' },
    })
    expect((await changeEnded(api, id, since)).lastJob?.outcome).toBe('succeeded')
    let guest = await provisioned()
    expect(guest.vars.valheim_modifiers).toEqual({ combat: 'hard' })
    expect(guest.vars.valheim_password).toBe('wolves-33')
    const after = await detail(api, id)
    expect(after.config).toMatchObject({ password: '********', combat: 'hard' })

    // The placeholder keeps the sealed password, which is the new one now.
    since = Date.now()
    await api.ok('POST', `/api/deployments/${id}/change`, {
      config: { ...base, password: '********', combat: 'normal', raids: 'none' },
    })
    expect((await changeEnded(api, id, since)).lastJob?.outcome).toBe('succeeded')
    guest = await provisioned()
    expect(guest.vars.valheim_modifiers).toEqual({ raids: 'none' })
    expect(guest.vars.valheim_password).toBe('wolves-33')

    // Never in the log, the audit row or the API.
    const logs = await api.request('GET', `/api/deployments/${id}/logs?limit=5000`)
    const audit = await api.request('GET', '/api/audit?limit=50')
    for (const text of [JSON.stringify(logs.body), JSON.stringify(audit.body)]) {
      expect(text).not.toContain('wolves-33')
      expect(text).not.toContain('ravens-2')
    }
    expect(JSON.stringify(audit.body)).toContain('"key":"password","from":"","to":"","secret":true')
  })
})
