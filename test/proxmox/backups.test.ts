import { createHash } from 'node:crypto'
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { JobAssignment } from '../../core/protocol'
import {
  deleteBackup,
  deploymentBackups,
  restoreVm,
  resumeWorld,
  saveWorld,
  vzdump,
  type WorldSave,
} from '../../runner/src/proxmox/backup-steps'
import { SIMULATED_PROVISION_FILE } from '../../runner/src/executors/simulated-provision'
import type { BannerBackend } from '../pve-sim/backend'
import { assignmentFor, deployVm, specFor, startHarness, until, type Harness } from './helpers'

/**
 * The backup steps against the simulator, whose every request is checked against Proxmox's
 * published schema (the harness fails a test that sent one PVE would reject).
 */

const PASSWORD = 'rcon-password-for-the-test'
const RCON_PORT = 25_575

let h: Harness | null = null
afterEach(async () => {
  await h?.close()
  h = null
})

function jobFor(h: Harness, deploymentId: string, jobId: string): JobAssignment {
  return assignmentFor(
    h,
    deploymentId,
    jobId,
    { gameSecrets: { rconPassword: PASSWORD } },
    { gameConfig: { rconEnabled: true, rconPort: RCON_PORT } },
  )
}

/** A VM whose simulated Minecraft has its RCON console on, as the role would configure it. */
async function minecraftVm(h: Harness) {
  const spec = specFor()
  const vmid = await deployVm(h, spec)
  const backend = h.sim.cluster.opts.backend as BannerBackend
  await until(() => backend.agentRunning(vmid), 5_000, 'the guest boots')
  const provision = {
    game: 'minecraft',
    playbook: 'provision_minecraft.yml',
    vars: { minecraft_rcon_enabled: true, minecraft_rcon_port: RCON_PORT },
    secretDigests: {
      minecraft_rcon_password: createHash('sha256').update(PASSWORD).digest('hex'),
    },
  }
  await backend.writeFile(vmid, SIMULATED_PROVISION_FILE, JSON.stringify(provision))
  // The console listens once the (re)started game is up.
  await until(
    () =>
      new Promise<boolean>((resolve) => {
        const s = net.connect({ host: spec.ipAddress, port: RCON_PORT })
        s.once('connect', () => resolve(s.destroy() !== undefined))
        s.once('error', () => resolve(false))
      }),
    5_000,
    'the RCON console listens',
  )
  const save: WorldSave = {
    via: 'console',
    rcon: { host: spec.ipAddress, port: RCON_PORT, password: PASSWORD },
  }
  return { spec, vmid, world: backend.worldOf(vmid), save }
}

const ctx = () => ({ log: (l: string) => h?.logs.push(l), signal: AbortSignal.timeout(20_000) })

describe('backups', () => {
  it('flushes the world, archives the running VM with its notes, and turns saving back on', async () => {
    h = await startHarness({ timing: { backupMs: 50 } })
    const { spec, vmid, world, save } = await minecraftVm(h)
    await until(() => world !== undefined, 1_000, 'the world')
    await saveWorld(save, ctx())
    expect(world.saving).toBe(false)
    const job = jobFor(h, spec.deploymentId, 'job-1')
    const volid = await vzdump(h.steps.client, job, vmid, save, 'manual', '1.21.4', ctx())
    await resumeWorld(save, ctx())
    expect(world.commands).toEqual(['save-off', 'save-all flush', 'save-on'])
    expect(world.saving).toBe(true)
    expect(h.sim.cluster.vm(vmid).running).toBe(true)
    expect(h.sim.cluster.vm(vmid).config.lock).toBeUndefined()
    const list = await deploymentBackups(h.steps.client, 'local', spec.deploymentId, ctx().signal)
    expect(list).toEqual([
      expect.objectContaining({ volid, kind: 'manual', gameVersion: '1.21.4', protected: false }),
    ])
    // Run again (a resumed job): the archive it made is found, no second vzdump.
    const posts = () => h!.sim.requests.filter((r) => r.endpoint === 'POST /nodes/{node}/vzdump')
    expect(posts()).toHaveLength(1)
    expect(await vzdump(h.steps.client, job, vmid, save, 'manual', '1.21.4', ctx())).toBe(volid)
    expect(posts()).toHaveLength(1)
  })

  it('backs a game without a console up in stop mode, and the VM runs again after', async () => {
    h = await startHarness({ timing: { backupMs: 50 } })
    const spec = specFor()
    const vmid = await deployVm(h, spec)
    const job = jobFor(h, spec.deploymentId, 'job-stop')
    await vzdump(h.steps.client, job, vmid, { via: 'stop' }, 'manual', null, ctx())
    const post = h.sim.requests.find((r) => r.endpoint === 'POST /nodes/{node}/vzdump')
    expect(post?.params).toMatchObject({ mode: 'stop', compress: 'zstd', storage: 'local' })
    expect(h.sim.cluster.vm(vmid).running).toBe(true)
  })

  it('refuses power actions while the VM is locked for its backup', async () => {
    // Long enough that a loaded machine still asks while the backup holds the lock.
    h = await startHarness({ timing: { backupMs: 2_000 } })
    const spec = specFor()
    const vmid = await deployVm(h, spec)
    const job = jobFor(h, spec.deploymentId, 'job-lock')
    const running = vzdump(h.steps.client, job, vmid, { via: 'none' }, 'manual', null, ctx())
    await until(() => h!.sim.cluster.vm(vmid).config.lock === 'backup', 2_000, 'the lock')
    await expect(h.steps.shutdown(vmid, spec.deploymentId, 1, h.ctx)).rejects.toThrow(
      /VM is locked \(backup\)/,
    )
    await running
  })

  it('fails with vzdump’s own words when the storage is full', async () => {
    h = await startHarness({ timing: { backupMs: 20 } })
    h.sim.cluster.opts.storages.push({
      storage: 'tiny',
      type: 'dir',
      content: 'backup',
      shared: 0,
      active: 1,
      enabled: 1,
      sizeGiB: 0.001,
    })
    const spec = specFor()
    const vmid = await deployVm(h, spec)
    const job = jobFor(h, spec.deploymentId, 'job-full')
    job.proxmox = { ...job.proxmox, backupStorage: 'tiny' }
    await expect(
      vzdump(h.steps.client, job, vmid, { via: 'none' }, 'manual', null, ctx()),
    ).rejects.toThrow(/vzdump failed: Backup of VM \d+ failed - .*No space left on device/)
    expect(h.sim.cluster.vm(vmid).config.lock).toBeUndefined()
  })

  it('deletes only its own deployment’s backups, and never a protected one', async () => {
    h = await startHarness({ timing: { backupMs: 10 } })
    const a = specFor()
    const b = specFor()
    const vmA = await deployVm(h, a)
    const vmB = await deployVm(h, b)
    const client = h.steps.client
    const volA = await vzdump(
      client,
      jobFor(h, a.deploymentId, 'ja'),
      vmA,
      { via: 'none' },
      'manual',
      null,
      ctx(),
    )
    const volB = await vzdump(
      client,
      jobFor(h, b.deploymentId, 'jb'),
      vmB,
      { via: 'none' },
      'manual',
      null,
      ctx(),
    )
    // An archive someone made by hand, without our notes: never listed, never deleted.
    h.sim.cluster.volumes.set('local:backup/vzdump-qemu-999-by-hand.vma.zst', {
      volid: 'local:backup/vzdump-qemu-999-by-hand.vma.zst',
      content: 'backup',
      format: 'vma.zst',
      size: 1,
      ctime: 1,
      bytes: Buffer.alloc(0),
      vmid: 999,
    })
    await expect(deleteBackup(client, 'local', a.deploymentId, volB, ctx().signal)).rejects.toThrow(
      /is not a backup of this deployment/,
    )
    await expect(
      deleteBackup(
        client,
        'local',
        a.deploymentId,
        'local:backup/vzdump-qemu-999-by-hand.vma.zst',
        ctx().signal,
      ),
    ).rejects.toThrow(/is not a backup of this deployment/)
    h.sim.cluster.volumes.get(volA)!.protected = true
    await expect(deleteBackup(client, 'local', a.deploymentId, volA, ctx().signal)).rejects.toThrow(
      /is protected/,
    )
    h.sim.cluster.volumes.get(volA)!.protected = false
    await deleteBackup(client, 'local', a.deploymentId, volA, ctx().signal)
    expect(await deploymentBackups(client, 'local', a.deploymentId, ctx().signal)).toEqual([])
    expect(h.sim.cluster.volumes.has(volB)).toBe(true)
  })

  it('restores an archive over the stopped VM, world and all, and refuses another’s archive', async () => {
    h = await startHarness({ timing: { backupMs: 10 } })
    const a = specFor()
    const b = specFor()
    const vmid = await deployVm(h, a)
    const other = await deployVm(h, b)
    const client = h.steps.client
    const world = '/srv/minecraft/world/level.dat'
    const vm = h.sim.cluster.vm(vmid)
    vm.guestFiles = { ...vm.guestFiles, [world]: 'the first world' }
    const job = jobFor(h, a.deploymentId, 'jr')
    const volid = await vzdump(client, job, vmid, { via: 'none' }, 'manual', null, ctx())
    const theirs = await vzdump(
      client,
      jobFor(h, b.deploymentId, 'jo'),
      other,
      { via: 'none' },
      'manual',
      null,
      ctx(),
    )
    vm.guestFiles = { ...vm.guestFiles, [world]: 'griefed' }
    // Proxmox restores over a stopped VM only.
    await expect(restoreVm(client, job, vmid, volid, ctx())).rejects.toThrow(/VM is running/)
    await h.steps.stop(vmid, a.deploymentId, h.ctx)
    await expect(restoreVm(client, job, vmid, theirs, ctx())).rejects.toThrow(
      /is not a backup of this deployment/,
    )
    await restoreVm(client, job, vmid, volid, ctx())
    expect(h.sim.cluster.vm(vmid).guestFiles?.[world]).toBe('the first world')
    expect(h.sim.cluster.vm(vmid).config.lock).toBeUndefined()
    const post = h.sim.requests.find((r) => r.params.archive === volid)
    expect(post?.params).toMatchObject({ force: '1', vmid: String(vmid) })
  })
})
