import { afterEach, describe, expect, it } from 'vitest'
import { requiredGrants } from '../../core/proxmox-privileges'
import { ProxmoxClient } from '../../runner/src/proxmox/client'
import { ProxmoxApiError } from '../../runner/src/proxmox/errors'
import { VmSteps } from '../../runner/src/proxmox/vm-steps'
import type { SimToken } from '../pve-sim/index'
import { FAST, connectionFor, deployVm, specFor, startHarness, type Harness } from './helpers'

/**
 * Resource pools: the VMs go into the pool set in Settings, and a token whose grants are
 * limited to that pool (docs/proxmox-token.md) does the whole job and sees nothing else.
 */

const SCOPED = 'pgd@pve!runner'
const SCOPED_SECRET = 'scoped-0000-1111-2222-333344445555'

/** A token holding exactly the documented grants (pool pgd, template 9000, local-lvm, vmbr0). */
function scopedToken(): SimToken {
  const privileges: Record<string, string[]> = {}
  const scope = { pool: 'pgd', templateVmid: 9000, storage: 'local-lvm', bridge: 'vmbr0' }
  for (const g of requiredGrants(scope)) privileges[g.path] = [...g.privileges]
  return { tokenId: SCOPED, secret: SCOPED_SECRET, privileges }
}

describe('resource pools in the simulator and the deploy flow', () => {
  let h: Harness | null = null
  const extra: VmSteps[] = []
  afterEach(async () => {
    for (const s of extra.splice(0)) s.close()
    await h?.close()
    h = null
  })

  /** The first token is the admin's ('all'); the second holds the documented grants only. */
  async function withScopedToken() {
    h = await startHarness({
      tokens: [
        { tokenId: 'root@pam!admin', secret: 'admin-secret', privileges: 'all' },
        scopedToken(),
      ],
    })
    const conn = connectionFor(h.sim, { tokenId: SCOPED, tokenSecret: SCOPED_SECRET })
    const scoped = new VmSteps(conn, FAST)
    extra.push(scoped)
    return { h, scoped, client: new ProxmoxClient(conn, FAST) }
  }

  it('clones the VM into the pool: GET /pools lists it, and destroying it takes it out', async () => {
    h = await startHarness()
    const spec = specFor()
    const { vmid } = await h.steps.allocateAndClone(spec, h.ctx)
    const clone = h.sim.requests.find((r) => r.endpoint?.endsWith('/clone'))
    expect(clone?.params.pool).toBe('pgd')
    const client = new ProxmoxClient(h.conn, FAST)
    const pools = async () =>
      (await client.call('GET', '/pools', { poolid: 'pgd' })) as {
        members: { vmid: number }[]
      }[]
    expect((await pools())[0]?.members.map((m) => m.vmid)).toEqual([vmid])
    await h.steps.destroy(vmid, spec.deploymentId, h.ctx)
    expect((await pools())[0]?.members).toEqual([])
    client.close()
  })

  it('refuses a clone into a pool that does not exist, naming it', async () => {
    h = await startHarness({}, {}, { pool: 'nope' })
    await expect(h.steps.allocateAndClone(specFor(), h.ctx)).rejects.toThrow(
      "Permission check failed (pool 'nope' does not exist)",
    )
  })

  it('a token with only the documented grants deploys, powers, finds and destroys its VM', async () => {
    const { h, scoped, client } = await withScopedToken()
    const spec = specFor()
    const ctx = { log: (l: string) => h.logs.push(l) }
    const { vmid } = await scoped.allocateAndClone(spec, ctx)
    await scoped.configure(vmid, spec, ctx)
    await scoped.resizeDisk(vmid, spec, ctx)
    await scoped.start(vmid, spec.deploymentId, ctx)
    expect(await scoped.powerState(vmid)).toBe('running')
    await scoped.shutdown(vmid, spec.deploymentId, 5, ctx)
    await scoped.start(vmid, spec.deploymentId, ctx)
    expect((await scoped.productVms()).map((v) => v.vmid)).toEqual([vmid])
    await scoped.destroy(vmid, spec.deploymentId, ctx)
    expect(h.sim.cluster.vms.has(vmid)).toBe(false)
    // The flow needed nothing beyond the grants: no request was refused.
    expect(h.sim.requests.filter((r) => r.status === 403)).toEqual([])
    client.close()
  })

  it('does not clone twice when the answer to a clone into the pool is lost, although the VM is invisible until it ends', async () => {
    // The clone joins the pool when it ends, so a pool-limited token cannot see it while it runs.
    h = await startHarness({
      tokens: [
        { tokenId: 'root@pam!admin', secret: 'admin-secret', privileges: 'all' },
        scopedToken(),
      ],
      timing: { cloneMs: 600 },
      faults: {
        proxyErrors: {
          count: 1,
          status: 596,
          reason: 'Connection timed out',
          afterEffect: true,
          match: (m, path) => m === 'POST' && path.endsWith('/clone'),
        },
      },
    })
    const conn = connectionFor(h.sim, { tokenId: SCOPED, tokenSecret: SCOPED_SECRET })
    const scoped = new VmSteps(conn, {
      ...FAST,
      timeouts: { ...FAST.timeouts, cloneAppearMs: 100 },
    })
    extra.push(scoped)
    const spec = specFor()
    const { vmid } = await scoped.allocateAndClone(spec, h.ctx)
    const clones = [...h.sim.cluster.vms.values()].filter((vm) =>
      (vm.config.name ?? '').endsWith(spec.deploymentId),
    )
    expect(clones.map((vm) => vm.vmid)).toEqual([vmid])
  })

  it('a token limited to the pool sees only the pool’s VMs (and the template it may clone)', async () => {
    const { h, client } = await withScopedToken()
    // One VM outside the pool, made with the admin's token as a person in the GUI would.
    const admin = new VmSteps(connectionFor(h.sim, { pool: '' }), FAST)
    extra.push(admin)
    const { vmid: outside } = await admin.allocateAndClone(specFor(), h.ctx)
    const inside = await deployVm(h, specFor())
    const resources = (await client.call('GET', '/cluster/resources', { type: 'vm' })) as {
      vmid: number
      pool?: string
    }[]
    expect(resources.map((r) => r.vmid).sort()).toEqual([inside, 9000].sort())
    // Pool.Audit is not among the grants: the pool's name is not shown to this token.
    expect(resources.find((r) => r.vmid === inside)?.pool).toBeUndefined()
    const listed = (await client.call('GET', '/nodes/pve1/qemu')) as { vmid: number }[]
    expect(listed.map((r) => r.vmid).sort()).toEqual([inside, 9000].sort())
    const denied = await client
      .call('GET', `/nodes/pve1/qemu/${outside}/status/current`)
      .catch((e: unknown) => e)
    expect(denied).toBeInstanceOf(ProxmoxApiError)
    expect((denied as ProxmoxApiError).message).toContain(
      `Permission check failed (/vms/${outside}, VM.Audit)`,
    )
    client.close()
  })

  it('the admin token sees the pool of each VM in /cluster/resources', async () => {
    h = await startHarness()
    const vmid = await deployVm(h, specFor())
    const client = new ProxmoxClient(h.conn, FAST)
    const resources = (await client.call('GET', '/cluster/resources', { type: 'vm' })) as {
      vmid: number
      pool?: string
    }[]
    expect(resources.find((r) => r.vmid === vmid)?.pool).toBe('pgd')
    client.close()
  })
})
