import { afterEach, describe, expect, it } from 'vitest'
import { ProxmoxClient } from '../../runner/src/proxmox/client'
import { ProxmoxApiError } from '../../runner/src/proxmox/errors'
import { VmStepError } from '../../runner/src/proxmox/vm-common'
import { FAST, deployVm, specFor, startHarness, type Harness } from './helpers'

/** Errors and retries: docs/proxmox-api.md (#authentication, #errors, #proxy-errors, #tasks). */
describe('Proxmox errors as the client sees them', () => {
  let h: Harness | null = null
  afterEach(async () => {
    await h?.close()
    h = null
  })

  it('fails the start step with Proxmox’s text when the task fails behind an HTTP 200', async () => {
    h = await startHarness({
      faults: { tasks: [{ type: 'qmstart', message: 'kvm: -drive: Could not open disk image' }] },
    })
    const spec = specFor()
    const { vmid } = await h.steps.allocateAndClone(spec, h.ctx)
    const err = await h.steps.start(vmid, spec.deploymentId, h.ctx).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(VmStepError)
    expect((err as VmStepError).message).toBe('start: kvm: -drive: Could not open disk image')
  })

  it('counts a task ending in WARNINGS: 1 as a success and logs the warning', async () => {
    h = await startHarness({ faults: { tasks: [{ type: 'resize', warnings: 1 }] } })
    const spec = specFor({ diskGiB: 30 })
    const { vmid } = await h.steps.allocateAndClone(spec, h.ctx)
    await h.steps.resizeDisk(vmid, spec, h.ctx)
    expect(h.sim.cluster.vms.get(vmid)?.config.scsi0).toContain('size=30G')
    expect(h.logs).toContain('resize: WARN: injected warning 1 for resize')
  })

  it('retries a GET answered 596 and gets the data', async () => {
    h = await startHarness({
      faults: { proxyErrors: { count: 2, status: 596, reason: 'Connection timed out' } },
    })
    const client = new ProxmoxClient(h.conn, FAST)
    try {
      expect(await client.call('GET', '/version')).toMatchObject({ version: '9.1.3' })
      expect(h.sim.requests.map((r) => r.status)).toEqual([596, 596, 200])
    } finally {
      client.close()
    }
  })

  it('gives up on 596 after the retry cap with the reason phrase', async () => {
    h = await startHarness({
      faults: { proxyErrors: { count: 100, status: 596, reason: 'Connection timed out' } },
    })
    const client = new ProxmoxClient(h.conn, { ...FAST, maxRetries: 3 })
    try {
      await expect(client.call('GET', '/version')).rejects.toThrow(
        'Proxmox 596: Connection timed out',
      )
      expect(h.sim.requests).toHaveLength(4)
    } finally {
      client.close()
    }
  })

  it('survives a 596 on the clone POST by looking for the VM before trying again', async () => {
    h = await startHarness({
      faults: {
        proxyErrors: {
          count: 1,
          status: 596,
          reason: 'Connection timed out',
          match: (m, p) => m === 'POST' && p.endsWith('/clone'),
        },
      },
    })
    const spec = specFor()
    const { vmid } = await h.steps.allocateAndClone(spec, h.ctx)
    expect(h.sim.cluster.vms.get(vmid)?.config.name).toContain(spec.deploymentId)
    expect(h.sim.requests.filter((r) => r.path.endsWith('/clone')).map((r) => r.status)).toEqual([
      596, 200,
    ])
  })

  it('deploys through a cluster answering 596 to a fifth of all requests', async () => {
    h = await startHarness({ faults: { errorRate: 0.2 }, seed: 7 })
    const vmid = await deployVm(h, specFor())
    expect(h.sim.cluster.vms.get(vmid)?.running).toBe(true)
    expect(h.sim.requests.some((r) => r.status === 596)).toBe(true)
  })

  it('explains a 401 with an empty body as a rejected token', async () => {
    h = await startHarness()
    const client = new ProxmoxClient({ ...h.conn, tokenSecret: 'wrong-secret' }, FAST)
    try {
      const err = await client.call('GET', '/version').catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ProxmoxApiError)
      expect((err as ProxmoxApiError).status).toBe(401)
      expect((err as ProxmoxApiError).message).toMatch(
        /rejected the API token \(401 Authentication failed!\)/,
      )
      expect(h.sim.requests).toHaveLength(1)
    } finally {
      client.close()
    }
  })

  it('reads the error from the reason phrase when the body has no message (PVE before 8.3)', async () => {
    h = await startHarness({ legacyErrorBody: true })
    const client = new ProxmoxClient(h.conn, FAST)
    try {
      await expect(client.call('GET', '/nodes/pve1/qemu/4242/status/current')).rejects.toThrow(
        "Proxmox 500: Configuration file 'nodes/pve1/qemu-server/4242.conf' does not exist",
      )
    } finally {
      client.close()
    }
  })

  it('names the failing parameter of a 400', async () => {
    h = await startHarness()
    const client = new ProxmoxClient(h.conn, FAST)
    try {
      await expect(client.call('GET', '/cluster/nextid', { vmid: 9000 })).rejects.toThrow(
        'Proxmox 400: Parameter verification failed. (vmid: VM 9000 already exists)',
      )
    } finally {
      client.close()
    }
  })

  it('accepts nextid as a JSON number as well as a string', async () => {
    h = await startHarness({ nextIdAsNumber: true })
    const spec = specFor()
    const { vmid } = await h.steps.allocateAndClone(spec, h.ctx)
    expect(vmid).toBe(100)
  })

  it('deploys 10 VMs at once through a cluster that answers 596 when overloaded', async () => {
    // Backoff with room: ten deployments keep the cluster overloaded for a while.
    h = await startHarness(
      { faults: { overloadAbove: 3 }, timing: { latencyMs: 5 } },
      { maxRetries: 12, retryCapMs: 100, retry: { attempts: 12, baseMs: 5, capMs: 100 } },
    )
    const vmids = await Promise.all(Array.from({ length: 10 }, () => deployVm(h!, specFor())))
    expect(new Set(vmids).size).toBe(10)
    expect(h.sim.cluster.vms.size).toBe(11) // the template and ten VMs: no orphan
    expect(vmids.every((id) => h!.sim.cluster.vms.get(id)?.running)).toBe(true)
    expect(h.sim.requests.filter((r) => r.status === 596).length).toBeGreaterThan(0)
  })

  it('does not clone twice when the clone started but its answer was lost in a 596', async () => {
    h = await startHarness(
      {
        faults: {
          proxyErrors: {
            count: 1,
            status: 596,
            reason: 'Connection timed out',
            afterEffect: true,
            match: (m, p) => m === 'POST' && p.endsWith('/clone'),
          },
        },
      },
      { timeouts: { cloneAppearMs: 2_000 } },
    )
    const spec = specFor()
    const { vmid } = await h.steps.allocateAndClone(spec, h.ctx)
    expect(h.sim.cluster.vms.get(vmid)?.config.name).toContain(spec.deploymentId)
    expect(h.sim.cluster.vms.size).toBe(2) // the template and one clone
  })

  it('configures the VM although the connection was reset under the first config POST', async () => {
    h = await startHarness({
      faults: {
        proxyErrors: {
          count: 1,
          status: 0,
          reason: '',
          match: (m, p) => m === 'POST' && p.endsWith('/config'),
        },
      },
    })
    const spec = specFor()
    const { vmid } = await h.steps.allocateAndClone(spec, h.ctx)
    await h.steps.configure(vmid, spec, h.ctx)
    expect(h.sim.cluster.vms.get(vmid)?.config.ciuser).toBe('debian')
    expect(
      h.logs.some((l) =>
        /^configure: cannot reach 127\.0\.0\.1:\d+: socket hang up; retry 1/.test(l),
      ),
    ).toBe(true)
  })
})
