import { afterEach, describe, expect, it } from 'vitest'
import { backupsAfterDestroy, pruneBackups } from '../../runner/src/proxmox/backup-prune'
import { deploymentBackups, vzdump } from '../../runner/src/proxmox/backup-steps'
import { allocateAndRestore } from '../../runner/src/proxmox/restore-new'
import { assignmentFor, deployVm, specFor, startHarness, type Harness } from './helpers'

/**
 * What happens to backups over a deployment's life, against the simulator (schema-checked):
 * retention after a scheduled backup, a new deployment restored from another's archive, and a
 * destroy that keeps or deletes the backups.
 */

let h: Harness | null = null
afterEach(async () => {
  await h?.close()
  h = null
})

const ctx = () => ({ log: (l: string) => h?.logs.push(l), signal: AbortSignal.timeout(20_000) })
const DAY = 86_400

/** Back up `vmid` as `kind`, then age the archive to `daysAgo` days before now. */
async function archive(
  h: Harness,
  deploymentId: string,
  vmid: number,
  kind: 'manual' | 'scheduled',
  daysAgo: number,
) {
  // vzdump names archives by the second: two in one second of the same VM would be one file.
  const second = Math.floor(Date.now() / 1000)
  while (Math.floor(Date.now() / 1000) === second) await new Promise((r) => setTimeout(r, 20))
  const job = assignmentFor(h, deploymentId, `j-${kind}-${daysAgo}`)
  const volid = await vzdump(h.steps.client, job, vmid, { via: 'none' }, kind, null, ctx())
  h.sim.cluster.volumes.get(volid)!.ctime = Math.floor(Date.now() / 1000) - daysAgo * DAY
  return volid
}

describe('backups over a deployment’s life', () => {
  it('retention removes the older scheduled backups only, never manual or protected ones', async () => {
    h = await startHarness({ timing: { backupMs: 5 } })
    const spec = specFor()
    const vmid = await deployVm(h, spec)
    const s0 = await archive(h, spec.deploymentId, vmid, 'scheduled', 0)
    const s1 = await archive(h, spec.deploymentId, vmid, 'scheduled', 1)
    const s2 = await archive(h, spec.deploymentId, vmid, 'scheduled', 2)
    const s3 = await archive(h, spec.deploymentId, vmid, 'scheduled', 3)
    const manual = await archive(h, spec.deploymentId, vmid, 'manual', 5)
    h.sim.cluster.volumes.get(s3)!.protected = true
    const out = await pruneBackups(
      h.steps.client,
      'local',
      spec.deploymentId,
      { daily: 2, weekly: 0 },
      'UTC',
      ctx(),
    )
    expect(out.removed).toEqual([s2])
    const left = (await deploymentBackups(h.steps.client, 'local', spec.deploymentId, ctx().signal))
      .map((b) => b.volid)
      .sort()
    expect(left).toEqual([s0, s1, s3, manual].sort())
    expect(h.logs.join('\n')).toContain(`removing ${s2}`)
  })

  it('restores another deployment’s archive into a new VM named and tagged for the new one', async () => {
    h = await startHarness({ timing: { backupMs: 5 } })
    const source = specFor()
    const vmid = await deployVm(h, source)
    const vm = h.sim.cluster.vm(vmid)
    vm.guestFiles = { ...vm.guestFiles, '/srv/minecraft/world/level.dat': 'the old world' }
    const volid = await archive(h, source.deploymentId, vmid, 'manual', 0)
    const copy = specFor()
    await expect(
      allocateAndRestore(h.steps, copy, { volid, deploymentId: 'someone-else' }, ctx()),
    ).rejects.toThrow(/is not a backup of deployment someone-else/)
    const { vmid: newVmid } = await allocateAndRestore(
      h.steps,
      copy,
      { volid, deploymentId: source.deploymentId },
      ctx(),
    )
    expect(newVmid).not.toBe(vmid)
    const restored = h.sim.cluster.vm(newVmid)
    expect(restored.guestFiles?.['/srv/minecraft/world/level.dat']).toBe('the old world')
    expect(restored.config.tags).toContain(copy.deploymentId.toLowerCase())
    expect(restored.config.name).toContain(copy.deploymentId.toLowerCase())
    // New MAC addresses: the source VM still runs on the same network.
    expect(restored.config.net0).not.toBe(vm.config.net0)
    // A resumed step finds the VM it made instead of restoring a second one.
    const again = await allocateAndRestore(
      h.steps,
      copy,
      { volid, deploymentId: source.deploymentId },
      ctx(),
    )
    expect(again.vmid).toBe(newVmid)
    const restores = h.sim.requests.filter((r) => r.params.archive === volid)
    expect(restores).toHaveLength(1)
    // Configure then takes it over like a cloned VM.
    await h.steps.configure(newVmid, copy, h.ctx)
  })

  it('a destroy keeps the backups unless asked, and never deletes a protected one', async () => {
    h = await startHarness({ timing: { backupMs: 5 } })
    const spec = specFor()
    const vmid = await deployVm(h, spec)
    const a = await archive(h, spec.deploymentId, vmid, 'manual', 1)
    const b = await archive(h, spec.deploymentId, vmid, 'scheduled', 0)
    h.sim.cluster.volumes.get(b)!.protected = true
    await backupsAfterDestroy(h.steps.client, assignmentFor(h, spec.deploymentId, 'd1'), ctx())
    expect(h.sim.cluster.volumes.has(a)).toBe(true)
    expect(h.logs.join('\n')).toContain('2 backup(s) of this deployment kept on local')
    await backupsAfterDestroy(
      h.steps.client,
      assignmentFor(h, spec.deploymentId, 'd2', {
        kind: 'destroy',
        destroy: { deleteBackups: true },
      }),
      ctx(),
    )
    expect(h.sim.cluster.volumes.has(a)).toBe(false)
    expect(h.sim.cluster.volumes.has(b)).toBe(true)
    expect(h.logs.join('\n')).toContain(`${b} is protected: kept`)
  })
})
