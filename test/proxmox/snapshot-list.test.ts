import { afterEach, describe, expect, it } from 'vitest'
import { createProxmoxExecutor } from '../../runner/src/proxmox/executor'
import { takeSnapshot } from '../../runner/src/proxmox/snapshot-steps'
import { deployVm, specFor, startHarness, type Harness } from './helpers'

/**
 * The deployment page's snapshot list and delete, through the runner's Proxmox executor against
 * the simulator (which checks every request against Proxmox's schema): the VM is found by the
 * deployment's tag, `current` is left out, newest first, the product's marked; a delete removes
 * only the one named.
 */

let h: Harness | null = null
afterEach(async () => {
  await h?.close()
  h = null
})

const ctx = () => ({ log: (l: string) => h?.logs.push(l), signal: AbortSignal.timeout(20_000) })
const signal = () => AbortSignal.timeout(20_000)

describe('snapshot list against the simulator', () => {
  it('lists a deployment’s snapshots newest first and deletes one by name', async () => {
    h = await startHarness({ timing: { snapshotMs: 20 } })
    const spec = specFor()
    const vmid = await deployVm(h, spec)
    const other = specFor()
    const otherVmid = await deployVm(h, other)
    const exec = createProxmoxExecutor()

    expect(await exec.listVmSnapshots(h.conn, spec.deploymentId, signal())).toEqual([])

    await takeSnapshot(h.steps.client, vmid, 'pgd-change-one', 'before\nmotd: A → B', ctx())
    await new Promise((r) => setTimeout(r, 1_100))
    await takeSnapshot(h.steps.client, vmid, 'by-hand', 'taken by an admin', ctx())
    await takeSnapshot(h.steps.client, otherVmid, 'pgd-change-other', 'x', ctx())

    const list = await exec.listVmSnapshots(h.conn, spec.deploymentId, signal())
    expect(list.map((s) => [s.name, s.ours, s.parent])).toEqual([
      ['by-hand', false, 'pgd-change-one'],
      ['pgd-change-one', true, null],
    ])
    expect(list[1]?.description).toBe('before\nmotd: A → B')
    expect(list[0]!.snaptime).toBeGreaterThan(list[1]!.snaptime)

    await exec.removeVmSnapshot(h.conn, spec.deploymentId, 'pgd-change-one', signal())
    expect(
      (await exec.listVmSnapshots(h.conn, spec.deploymentId, signal())).map((s) => s.name),
    ).toEqual(['by-hand'])
    // The other deployment's VM is not touched.
    expect(
      (await exec.listVmSnapshots(h.conn, other.deploymentId, signal())).map((s) => s.name),
    ).toEqual(['pgd-change-other'])

    // A name the VM does not have, or a deployment with no VM, is refused in words.
    await expect(
      exec.removeVmSnapshot(h.conn, spec.deploymentId, 'pgd-change-one', signal()),
    ).rejects.toThrow(`VM ${vmid} has no snapshot pgd-change-one`)
    await expect(exec.listVmSnapshots(h.conn, 'nobody', signal())).rejects.toThrow(
      'no VM on the node carries deployment nobody',
    )
  })
})
