import { afterEach, describe, expect, it } from 'vitest'
import { shortfalls, shortfallText } from '../../core/capacity'
import { readCapacity } from '../../runner/src/proxmox/capacity'
import { deployVm, specFor, startHarness, type Harness } from './helpers'

const MIB = 1024 ** 2
const GIB = 1024 ** 3

/** The runner's capacity read against the simulator, whose figures follow the VMs it holds. */
describe('capacity', () => {
  let h: Harness | null = null
  afterEach(async () => {
    await h?.close()
    h = null
  })

  it('reads the node memory and the storage space, and both shrink as VMs are deployed', async () => {
    h = await startHarness({ nodeMemoryMiB: 16_384, storages: storages(100) })
    const before = await readCapacity(h.steps.client, h.conn.storage)
    // The host keeps 2 GiB; the template's 3584M disk is on local-lvm.
    expect(before).toEqual({
      node: 'pve1',
      memory: { free: 14_336 * MIB, total: 16_384 * MIB },
      storage: { id: 'local-lvm', avail: 100 * GIB - 3_584 * MIB, total: 100 * GIB },
    })
    await deployVm(h, specFor({ memoryMiB: 8_192, diskGiB: 40 }))
    const after = await readCapacity(h.steps.client, h.conn.storage)
    expect(after.memory.free).toBe(6_144 * MIB)
    expect(after.storage.avail).toBe(100 * GIB - 3_584 * MIB - 40 * GIB)
    // The node is now too small for another VM of that size, and the words say so.
    const missing = shortfalls(after, { memoryMb: 8_192, diskGb: 40 })
    expect(missing.map((s) => shortfallText(s, 'en'))).toEqual([
      'This VM needs 8,192 MiB of memory; node pve1 has 6,144 MiB free.',
    ])
    expect(shortfallText(missing[0]!, 'fr')).toBe(
      'Cette VM demande 8\u202f192 Mio de mémoire ; le nœud pve1 n’en a que 6\u202f144 Mio de libre.',
    )
    expect(shortfalls(after, { memoryMb: 4_096, diskGb: 60 }).map((s) => s.kind)).toEqual(['disk'])
  })

  it('gives the memory of a stopped VM back', async () => {
    h = await startHarness({ nodeMemoryMiB: 16_384 })
    const spec = specFor({ memoryMiB: 8_192 })
    const vmid = await deployVm(h, spec)
    expect((await readCapacity(h.steps.client, h.conn.storage)).memory.free).toBe(6_144 * MIB)
    await h.steps.stop(vmid, spec.deploymentId, h.ctx)
    expect((await readCapacity(h.steps.client, h.conn.storage)).memory.free).toBe(14_336 * MIB)
  })

  it('fails with Proxmox’s words when the token may not read the node', async () => {
    h = await startHarness({
      tokens: [
        {
          tokenId: 'deployer@pve!pgd',
          secret: 'capacity-secret',
          privileges: { '/storage/local-lvm': ['Datastore.AllocateSpace'] },
        },
      ],
    })
    await expect(readCapacity(h.steps.client, h.conn.storage)).rejects.toThrow(
      /Permission check failed \(\/nodes\/pve1, Sys\.Audit\)/,
    )
  })

  it('refuses an unknown storage', async () => {
    h = await startHarness()
    await expect(readCapacity(h.steps.client, 'nvme')).rejects.toThrow(
      /storage 'nvme' does not exist/,
    )
  })
})

function storages(sizeGiB: number) {
  return [
    {
      storage: 'local-lvm',
      type: 'lvmthin',
      content: 'images,rootdir',
      shared: 0 as const,
      active: 1 as const,
      enabled: 1 as const,
      sizeGiB,
    },
  ]
}
