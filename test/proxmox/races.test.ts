import { afterEach, describe, expect, it } from 'vitest'
import { ProxmoxClient } from '../../runner/src/proxmox/client'
import type { ProxmoxTaskError } from '../../runner/src/proxmox/errors'
import { VmSteps } from '../../runner/src/proxmox/vm-steps'
import {
  FAST,
  connectionFor,
  deployVm,
  specFor,
  startHarness,
  until,
  type Harness,
} from './helpers'

/** The races and locks of docs/proxmox-api.md (#locks, #nextid-race, #clone-lock). */
describe('races and locks', () => {
  let h: Harness | null = null
  afterEach(async () => {
    await h?.close()
    h = null
  })

  it('deploys 20 VMs concurrently with no id collision and no failure', async () => {
    // A clone long enough that every nextid call lands inside another clone's race window.
    h = await startHarness({ timing: { cloneMs: 100, tempConfigDelayMs: 40 } })
    const specs = Array.from({ length: 20 }, () => specFor())
    // Separate VmSteps per deployment, like separate jobs in one runner process.
    const clients = specs.map(() => new VmSteps(connectionFor(h!.sim), FAST))
    const logs: string[] = []
    try {
      const results = await Promise.all(
        specs.map((s, i) => clients[i]!.allocateAndClone(s, { log: (l) => logs.push(l) })),
      )
      const ids = results.map((r) => r.vmid)
      expect(new Set(ids).size).toBe(20)
      for (const [i, s] of specs.entries()) {
        expect(h.sim.cluster.vms.get(ids[i]!)?.config.name).toContain(s.deploymentId)
      }
      // Serialised inside one process, nobody even needs the lost-race retry.
      expect(logs.filter((l) => /taken by someone else|retrying with a fresh id/.test(l))).toEqual(
        [],
      )
    } finally {
      for (const c of clients) c.close()
    }
  })

  it('shows the race in the simulator: two clones to one id, the second fails inside its task', async () => {
    // A wide window: both POSTs pass the synchronous checks before either config exists.
    h = await startHarness({
      timing: { cloneMs: 300, tempConfigDelayMs: 200, cloneLockTimeoutMs: 50 },
    })
    const client = new ProxmoxClient(h.conn, FAST)
    try {
      const id = await client.nextId()
      const post = (name: string): Promise<string | null> =>
        client.callTask('POST', `/nodes/pve1/qemu/9000/clone`, { newid: id, name, full: true })
      const [a, b] = await Promise.all([post('racer-a'), post('racer-b')])
      const outcomes = await Promise.allSettled(
        [a, b].map((u) => client.waitTask(u ?? '', { timeoutMs: 5_000 })),
      )
      const failed = outcomes.filter((o) => o.status === 'rejected')
      expect(failed).toHaveLength(1)
      const reason = (failed[0] as PromiseRejectedResult).reason as ProxmoxTaskError
      expect(reason.exitstatus).toMatch(
        new RegExp(`lock-${id}\\.conf' - got timeout|config file already exists`),
      )
    } finally {
      client.close()
    }
  })

  it('retries with a fresh id when another client took the id first', async () => {
    h = await startHarness({ faults: { loseRace: 2 } })
    const spec = specFor()
    const { vmid } = await h.steps.allocateAndClone(spec, h.ctx)
    const foreign = [...h.sim.cluster.vms.values()].filter((v) => v.foreign).map((v) => v.vmid)
    expect(foreign).toHaveLength(2)
    expect(foreign).not.toContain(vmid)
    expect(h.sim.cluster.vms.get(vmid)?.config.name).toContain(spec.deploymentId)
  })

  it('retries configure when the VM lock times out, and succeeds once the lock is free', async () => {
    h = await startHarness(
      { timing: { lockTimeoutMs: 30 } },
      { retry: { attempts: 10, baseMs: 10, capMs: 100 } },
    )
    const spec = specFor()
    const { vmid } = await h.steps.allocateAndClone(spec, h.ctx)
    await h.sim.holdLock(vmid, 80)
    await h.steps.configure(vmid, spec, h.ctx)
    expect(h.sim.cluster.vms.get(vmid)?.config.ciuser).toBe('debian')
    expect(
      h.logs.some((l) =>
        /configure: can't lock file '.*lock-\d+\.conf' - got timeout; retry/.test(l),
      ),
    ).toBe(true)
  })

  it('fails configure with the lock error after the retry cap', async () => {
    h = await startHarness(
      { timing: { lockTimeoutMs: 10 } },
      { retry: { attempts: 3, baseMs: 5, capMs: 10 } },
    )
    const spec = specFor()
    const { vmid } = await h.steps.allocateAndClone(spec, h.ctx)
    await h.sim.holdLock(vmid, 5_000)
    await expect(h.steps.configure(vmid, spec, h.ctx)).rejects.toThrow(
      /configure: can't lock file '\/var\/lock\/qemu-server\/lock-\d+\.conf' - got timeout/,
    )
  })

  it('retries a start whose task timed out on the VM lock (fault option)', async () => {
    h = await startHarness({ timing: { lockTimeoutMs: 20 } })
    const spec = specFor()
    const { vmid } = await h.steps.allocateAndClone(spec, h.ctx)
    h.sim.faults.lockTimeouts = 2
    await h.steps.start(vmid, spec.deploymentId, h.ctx)
    expect(h.sim.cluster.vms.get(vmid)?.running).toBe(true)
    expect(h.logs.filter((l) => /^start: can't lock file .*; retry/.test(l))).toHaveLength(2)
  })

  it('accepts "already running" from a start retried after its first answer was lost', async () => {
    h = await startHarness({
      faults: {
        proxyErrors: {
          count: 1,
          status: 596,
          reason: 'Connection timed out',
          afterEffect: true,
          match: (m, p) => m === 'POST' && p.endsWith('/status/start'),
        },
      },
    })
    const spec = specFor()
    const { vmid } = await h.steps.allocateAndClone(spec, h.ctx)
    await h.steps.start(vmid, spec.deploymentId, h.ctx)
    expect(h.sim.cluster.vms.get(vmid)?.running).toBe(true)
    const startTasks = h.sim.cluster.tasks.all().filter((t) => t.type === 'qmstart')
    expect(startTasks.map((t) => t.exitstatus)).toEqual(['OK', `VM ${vmid} already running`])
  })

  it('finds a just-cloned VM although /cluster/resources does not show its name yet', async () => {
    h = await startHarness({ timing: { resourcesLagMs: 60_000 } })
    const spec = specFor()
    const { vmid } = await h.steps.allocateAndClone(spec, h.ctx)
    expect((await h.steps.findVmByDeployment(spec.deploymentId, h.ctx))?.vmid).toBe(vmid)
  })

  it('waits for the clone lock before configuring a VM that is still being cloned', async () => {
    h = await startHarness({ timing: { cloneMs: 600 } })
    const spec = specFor()
    const client = new ProxmoxClient(h.conn, FAST)
    try {
      const id = await client.nextId()
      await client.callTask('POST', '/nodes/pve1/qemu/9000/clone', {
        newid: id,
        name: `gs-x-${spec.deploymentId}`,
        full: true,
      })
      await until(() => h!.sim.cluster.vms.get(id)?.config.lock === 'clone', 5_000, 'no clone lock')
      await h.steps.configure(id, spec, h.ctx)
      expect(h.sim.cluster.vms.get(id)?.config.tags).toContain(`pgd-${spec.deploymentId}`)
    } finally {
      client.close()
    }
  })

  it('rejects a config change during the clone with "VM is locked (clone)"', async () => {
    h = await startHarness({ timing: { cloneMs: 600 } })
    const client = new ProxmoxClient(h.conn, FAST)
    try {
      const id = await client.nextId()
      await client.callTask('POST', '/nodes/pve1/qemu/9000/clone', { newid: id, full: true })
      await until(() => h!.sim.cluster.vms.get(id)?.config.lock === 'clone', 5_000, 'no clone lock')
      await expect(
        client.call('POST', `/nodes/pve1/qemu/${id}/config`, { cores: 2 }),
      ).rejects.toMatchObject({
        status: 500,
        reason: 'VM is locked (clone)',
      })
    } finally {
      client.close()
    }
  })

  it('starts a VM deployed while other clones run', async () => {
    h = await startHarness()
    const vmids = await Promise.all([specFor(), specFor(), specFor()].map((s) => deployVm(h!, s)))
    for (const id of vmids) expect(h.sim.cluster.vms.get(id)?.running).toBe(true)
  })
})

describe('parallel full clones onto one storage (#parallel-clones)', () => {
  let h: Harness | null = null
  afterEach(async () => {
    await h?.close()
    h = null
  })

  it('runs at most two clones at once, so the storage lock never times out', async () => {
    h = await startHarness({
      faults: { storageCloneLimit: 2 },
      timing: { cloneMs: 60, cloneLockTimeoutMs: 20 },
    })
    const specs = Array.from({ length: 6 }, () => specFor())
    const ids = await Promise.all(specs.map((s) => h!.steps.allocateAndClone(s, h!.ctx)))
    expect(new Set(ids.map((r) => r.vmid)).size).toBe(6)
    expect(h.logs.filter((l) => l.includes('pve-storage-'))).toEqual([])
  })

  it('retries a clone that hit the storage lock, with a fresh id', async () => {
    h = await startHarness(
      { faults: { storageCloneLimit: 1 }, timing: { cloneMs: 60, cloneLockTimeoutMs: 20 } },
      { maxParallelClones: 3 },
    )
    const specs = Array.from({ length: 3 }, () => specFor())
    const ids = await Promise.all(specs.map((s) => h!.steps.allocateAndClone(s, h!.ctx)))
    expect(new Set(ids.map((r) => r.vmid)).size).toBe(3)
    expect(
      h.logs.some((l) => /pve-storage-local-lvm' - got timeout; retrying with a fresh id/.test(l)),
    ).toBe(true)
  })
})
