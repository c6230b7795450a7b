import { afterEach, describe, expect, it } from 'vitest'
import { BannerBackend } from '../pve-sim/index'
import { deployVm, specFor, startHarness, until, type Harness } from './helpers'

/** Shutdown, stop and destroy: used by cancel, cleanup and the lifecycle actions. */
describe('power and teardown', () => {
  let h: Harness | null = null
  afterEach(async () => {
    await h?.close()
    h = null
  })

  it('shuts a running VM down gracefully', async () => {
    h = await startHarness()
    const spec = specFor()
    const vmid = await deployVm(h, spec)
    await h.steps.shutdown(vmid, spec.deploymentId, 5, h.ctx)
    expect(h.sim.cluster.vms.get(vmid)?.running).toBe(false)
    expect(h.sim.requests.some((r) => r.path.endsWith(`/${vmid}/status/stop`))).toBe(false)
  })

  it('stops the VM hard when the guest ignores the ACPI shutdown', async () => {
    h = await startHarness({ faults: { acpiIgnored: true }, timing: { secondMs: 10 } })
    const spec = specFor()
    const vmid = await deployVm(h, spec)
    await h.steps.shutdown(vmid, spec.deploymentId, 3, h.ctx)
    expect(h.sim.cluster.vms.get(vmid)?.running).toBe(false)
    expect(h.logs).toContain(
      `graceful shutdown failed (VM quit/powerdown failed - got timeout); stopping VM ${vmid} hard`,
    )
  })

  it('takes the simulated sshd down with the VM', async () => {
    h = await startHarness({ backend: new BannerBackend({ bootDelayMs: 0 }) })
    const spec = specFor()
    const vmid = await deployVm(h, spec)
    await h.steps.waitSsh(spec.ipAddress, { ...h.ctx, timeouts: { bootMs: 5_000, retryMs: 10 } })
    await h.steps.stop(vmid, spec.deploymentId, h.ctx)
    await expect(
      h.steps.waitSsh(spec.ipAddress, {
        ...h.ctx,
        timeouts: { bootMs: 100, connectMs: 50, retryMs: 10 },
      }),
    ).rejects.toThrow(/VM has not booted/)
  })

  it('destroys a running VM: stop, then delete with purge', async () => {
    h = await startHarness()
    const spec = specFor()
    const vmid = await deployVm(h, spec)
    await h.steps.destroy(vmid, spec.deploymentId, h.ctx)
    expect(h.sim.cluster.vms.has(vmid)).toBe(false)
    const del = h.sim.requests.find((r) => r.method === 'DELETE')
    expect(del?.params).toMatchObject({ purge: '1', 'destroy-unreferenced-disks': '1' })
  })

  it('counts destroying a VM that no longer exists as done', async () => {
    h = await startHarness()
    const spec = specFor()
    await h.steps.destroy(4321, spec.deploymentId, h.ctx)
    expect(h.logs).toContain('VM 4321 does not exist (already destroyed)')
  })

  it('refuses to destroy a VM that belongs to another deployment', async () => {
    h = await startHarness()
    const vmid = await deployVm(h, specFor())
    await expect(h.steps.destroy(vmid, specFor().deploymentId, h.ctx)).rejects.toThrow(
      /is not the VM of deployment/,
    )
    expect(h.sim.cluster.vms.has(vmid)).toBe(true)
  })

  it('refuses to destroy the template', async () => {
    h = await startHarness()
    await expect(h.steps.destroy(9000, specFor().deploymentId, h.ctx)).rejects.toThrow(
      'destroy: VM 9000 is a template; refusing to destroy it',
    )
  })

  it('destroys a VM whose clone is still running once the clone ends', async () => {
    h = await startHarness({ timing: { cloneMs: 600 } })
    const spec = specFor()
    const clone = h.steps.allocateAndClone(spec, h.ctx)
    const found = await until(
      () => h!.steps.findVmByDeployment(spec.deploymentId, h!.ctx),
      5_000,
      'the VM being cloned never appeared',
    )
    expect(found.lock).toBe('clone')
    await h.steps.destroy(found.vmid, spec.deploymentId, h.ctx)
    await clone
    expect(h.sim.cluster.vms.has(found.vmid)).toBe(false)
  })

  it('finishes a destroy whose DELETE was answered 596', async () => {
    h = await startHarness({
      faults: {
        proxyErrors: {
          count: 1,
          status: 596,
          reason: 'Connection timed out',
          match: (m) => m === 'DELETE',
        },
      },
    })
    const spec = specFor()
    const vmid = await deployVm(h, spec)
    await h.steps.destroy(vmid, spec.deploymentId, h.ctx)
    expect(h.sim.cluster.vms.has(vmid)).toBe(false)
  })

  it('stops waiting for the clone when the deployment is cancelled, and can destroy it after', async () => {
    h = await startHarness({ timing: { cloneMs: 600 } })
    const spec = specFor()
    const ctrl = new AbortController()
    const clone = h.steps.allocateAndClone(spec, { ...h.ctx, signal: ctrl.signal })
    const found = await until(
      () => h!.steps.findVmByDeployment(spec.deploymentId, h!.ctx),
      5_000,
      'the VM being cloned never appeared',
    )
    ctrl.abort(new Error('cancelled by user'))
    await expect(clone).rejects.toThrow('cancelled by user')
    await h.steps.destroy(found.vmid, spec.deploymentId, h.ctx)
    expect(h.sim.cluster.vms.has(found.vmid)).toBe(false)
  })
})
