import { afterEach, describe, expect, it } from 'vitest'
import { SIMULATED_PROVISION_FILE } from '../../runner/src/executors/simulated-provision'
import { pingMinecraft } from '../../runner/src/games/slp'
import { ProxmoxApiError } from '../../runner/src/proxmox/errors'
import {
  deleteSnapshot,
  listSnapshots,
  pruneSnapshots,
  rollbackTo,
  takeSnapshot,
} from '../../runner/src/proxmox/snapshot-steps'
import type { BannerBackend } from '../pve-sim/backend'
import { deployVm, specFor, startHarness, until, type Harness } from './helpers'

/**
 * The snapshot steps against the simulator, whose every request is checked against Proxmox's
 * published schema: a rollback brings the game's old settings back (the Server List Ping shows
 * them), Proxmox's refusals come through in its words, and pruning only touches our snapshots.
 */

let h: Harness | null = null
afterEach(async () => {
  await h?.close()
  h = null
})

const ctx = () => ({ log: (l: string) => h?.logs.push(l), signal: AbortSignal.timeout(20_000) })
const PORT = 25_565

/** The simulated game's settings, as the simulated provisioner writes them. */
const provision = (motd: string, maxPlayers: number) =>
  JSON.stringify({
    game: 'minecraft',
    playbook: 'provision_minecraft.yml',
    vars: {
      minecraft_version: '1.21.4',
      minecraft_properties: { motd, 'max-players': maxPlayers },
    },
  })

async function gameVm(h: Harness) {
  const spec = specFor()
  const vmid = await deployVm(h, spec)
  const backend = h.sim.cluster.opts.backend as BannerBackend
  await until(() => backend.agentRunning(vmid), 5_000, 'the guest boots')
  h.sim.cluster.vm(vmid).guestFiles = { [SIMULATED_PROVISION_FILE]: provision('Before', 20) }
  await backend.writeFile(vmid, SIMULATED_PROVISION_FILE, provision('Before', 20))
  const ping = () =>
    until(
      () => pingMinecraft({ host: spec.ipAddress, port: PORT, timeoutMs: 500 }).catch(() => null),
      10_000,
      'the game answers',
    )
  return { spec, vmid, backend, ping }
}

describe('snapshots against the simulator', () => {
  it('takes a snapshot, and a rollback brings the old game settings back', async () => {
    h = await startHarness({ timing: { snapshotMs: 150 } })
    const { vmid, backend, ping } = await gameVm(h)
    expect((await ping()).motd).toBe('Before')

    // The VM is locked `snapshot` while the task runs.
    const taking = takeSnapshot(h.steps.client, vmid, 'pgd-change-a', 'before', ctx())
    await until(() => h!.sim.cluster.vm(vmid).config.lock === 'snapshot', 2_000, 'lock: snapshot')
    await taking
    expect(h.sim.cluster.vm(vmid).config.lock).toBeUndefined()
    // Again: found, not taken twice.
    await takeSnapshot(h.steps.client, vmid, 'pgd-change-a', 'before', ctx())
    expect(h.logs.join('\n')).toContain('snapshot pgd-change-a of VM')
    expect((await listSnapshots(h.steps.client, vmid, ctx().signal)).map((s) => s.name)).toEqual([
      'pgd-change-a',
    ])

    // The change: new settings and memory.
    h.sim.cluster.vm(vmid).guestFiles = { [SIMULATED_PROVISION_FILE]: provision('After', 64) }
    h.sim.cluster.vm(vmid).config.memory = '8192'
    await backend.writeFile(vmid, SIMULATED_PROVISION_FILE, provision('After', 64))
    await until(async () => (await ping()).motd === 'After', 10_000, 'the new settings answer')

    await rollbackTo(h.steps.client, vmid, 'pgd-change-a', ctx())
    const vm = h.sim.cluster.vm(vmid)
    expect(vm.running).toBe(true)
    expect(vm.config.memory).toBe('4096')
    const back = await until(
      async () => {
        const s = await ping()
        return s.motd === 'Before' && s
      },
      10_000,
      'the old settings answer',
    )
    expect(back.playersMax).toBe(20)
    // The snapshot stays after a rollback (a retry of the change takes a new one).
    expect((await listSnapshots(h.steps.client, vmid, ctx().signal)).length).toBe(1)
  })

  it('refuses what Proxmox refuses, in its words', async () => {
    h = await startHarness()
    const { vmid } = await gameVm(h)
    const node = h.sim.cluster.opts.node
    const path = `/nodes/${node}/qemu/${vmid}/snapshot`
    const refused = await h.steps.client
      .call('POST', path, { snapname: 'current' })
      .catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(ProxmoxApiError)
    expect(String((refused as Error).message)).toContain(
      "unable to use snapshot name 'current' (reserved name)",
    )
    // A name PVE's pve-configid format rejects never reaches the handler.
    const badName = await h.steps.client
      .call('POST', path, { snapname: '1-starts-with-a-digit' })
      .catch((e: unknown) => e)
    expect(String((badName as Error).message)).toContain('invalid configuration ID')
    h.sim.requests.length = 0

    await takeSnapshot(h.steps.client, vmid, 'pgd-change-b', '', ctx())
    const upid = await h.steps.client.callTask('POST', path, { snapname: 'pgd-change-b' })
    await expect(h.steps.client.waitTask(upid!, { timeoutMs: 5_000 })).rejects.toThrow(
      "snapshot name 'pgd-change-b' already used",
    )
    // A VM locked by a backup: the snapshot task fails with PVE's text.
    h.sim.cluster.vm(vmid).config.lock = 'backup'
    const locked = await h.steps.client.callTask('POST', path, { snapname: 'pgd-change-c' })
    await expect(h.steps.client.waitTask(locked!, { timeoutMs: 5_000 })).rejects.toThrow(
      'VM is locked (backup)',
    )
    delete h.sim.cluster.vm(vmid).config.lock
    await expect(rollbackTo(h.steps.client, vmid, 'pgd-nope', ctx())).rejects.toThrow(
      'has no snapshot pgd-nope',
    )
  })

  it('prunes our snapshots beyond the cap, oldest first, and leaves the admin’s own', async () => {
    h = await startHarness()
    const { vmid } = await gameVm(h)
    const names = ['pgd-change-1', 'admin-before-mods', 'pgd-change-2', 'pgd-change-3']
    for (const name of names) {
      await takeSnapshot(h.steps.client, vmid, name, '', ctx())
      // Distinct creation times: snaptime has a one-second resolution.
      const snaps = h.sim.cluster.vm(vmid).snapshots!
      snaps[snaps.length - 1]!.snaptime -= 100 - snaps.length
    }
    const dropped = await pruneSnapshots(h.steps.client, vmid, 2, ctx())
    expect(dropped).toEqual(['pgd-change-1'])
    expect((await listSnapshots(h.steps.client, vmid, ctx().signal)).map((s) => s.name)).toEqual([
      'admin-before-mods',
      'pgd-change-2',
      'pgd-change-3',
    ])
    // Deleting one already gone is not an error (a resumed prune).
    await deleteSnapshot(h.steps.client, vmid, 'pgd-change-1', ctx())
    expect(h.logs.join('\n')).toContain('snapshot pgd-change-1 is already gone')
  })
})
