import { afterEach, describe, expect, it } from 'vitest'
import {
  DEPLOY_STEPS,
  DESTROY_STEPS,
  type Checkpoint,
  stepsOf,
  type JobAssignment,
  type JobKind,
  type StepName,
} from '../../core/protocol'
import type { StepContext } from '../../runner/src/executors/types'
import { createProxmoxExecutor, isProxmoxStep } from '../../runner/src/proxmox/executor'
import type { ParamValue } from '../../runner/src/proxmox/encode'
import { FAST, specFor, sshKey, startHarness, type Harness } from './helpers'

/** The Proxmox steps in the runner's executor shape, run as the job loop would run them. */
describe('the Proxmox executor', () => {
  let h: Harness | null = null
  afterEach(async () => {
    await h?.close()
    h = null
  })

  function job(h: Harness, kind: JobKind, deploymentId: string, ip: string): JobAssignment {
    return {
      jobId: `job-${deploymentId}-${kind}`,
      deploymentId,
      kind,
      attempt: 1,
      leaseExpiresAt: Date.now() + 60_000,
      spec: {
        deploymentId,
        name: 'survival',
        game: 'minecraft',
        gameConfig: {},
        cores: 2,
        memoryMiB: 2048,
        diskGiB: 10,
        ipAddress: ip,
        sshPublicKeys: [sshKey('admin@laptop')],
      },
      proxmox: h.conn,
      secrets: [],
      gameSecrets: {},
    }
  }

  async function run(
    h: Harness,
    j: JobAssignment,
    steps: readonly StepName[],
    checkpoint: Checkpoint,
  ): Promise<Checkpoint> {
    const exec = createProxmoxExecutor({ ...FAST, sshTimeouts: { retryMs: 10, bootMs: 5_000 } })
    let cp = checkpoint
    for (const step of steps) {
      if (!isProxmoxStep(step)) continue
      const ctx: StepContext = {
        job: j,
        checkpoint: cp,
        sshPublicKey: sshKey('runner@pgd'),
        sshPrivateKeyPath: '/nonexistent',
        stateDir: '/nonexistent',
        log: (t) => h.logs.push(t),
        signal: new AbortController().signal,
      }
      const res = await exec.runStep(step, ctx)
      cp = { ...cp, vmid: res.vmid ?? cp.vmid, ip: res.ip ?? cp.ip }
    }
    return cp
  }

  it('runs the Proxmox steps of a deploy and the VM answers on SSH', async () => {
    h = await startHarness()
    const { deploymentId, ipAddress } = specFor()
    const cp = await run(h, job(h, 'deploy', deploymentId, ipAddress), DEPLOY_STEPS, {
      upids: {},
      doneSteps: [],
    })
    expect(cp.ip).toBe(ipAddress)
    expect(h.sim.cluster.vms.get(cp.vmid ?? 0)?.running).toBe(true)
  })

  it('resumes a deploy from its checkpoint without a second VM', async () => {
    h = await startHarness()
    const { deploymentId, ipAddress } = specFor()
    const j = job(h, 'deploy', deploymentId, ipAddress)
    const first = await run(h, j, ['allocate', 'clone'], { upids: {}, doneSteps: [] })
    await run(h, j, ['clone', 'configure', 'resize', 'start'], first)
    expect(h.sim.cluster.vms.size).toBe(2)
  })

  it('destroys the deployment’s VM, and a second destroy finds nothing to do', async () => {
    h = await startHarness()
    const { deploymentId, ipAddress } = specFor()
    const cp = await run(h, job(h, 'deploy', deploymentId, ipAddress), DEPLOY_STEPS, {
      upids: {},
      doneSteps: [],
    })
    await run(h, job(h, 'destroy', deploymentId, ipAddress), DESTROY_STEPS, {
      upids: {},
      doneSteps: [],
    })
    expect(h.sim.cluster.vms.has(cp.vmid ?? 0)).toBe(false)
    await run(h, job(h, 'destroy', deploymentId, ipAddress), DESTROY_STEPS, {
      upids: {},
      doneSteps: [],
    })
    expect(h.logs).toContain(`no VM for deployment ${deploymentId}; nothing to delete`)
  })

  it('stops gracefully for a stop job (the guest shuts down), hard for a destroy', async () => {
    h = await startHarness()
    const { deploymentId, ipAddress } = specFor()
    const cp = await run(h, job(h, 'deploy', deploymentId, ipAddress), DEPLOY_STEPS, {
      upids: {},
      doneSteps: [],
    })
    const vm = () => h?.sim.cluster.vms.get(cp.vmid ?? 0)
    await run(h, job(h, 'stop', deploymentId, ipAddress), stepsOf('stop'), cp)
    expect(vm()?.running).toBe(false)
    expect(h.logs.some((l) => l.startsWith('asking the guest to shut down'))).toBe(true)
    expect(h.sim.requests.some((r) => r.path.endsWith('/status/shutdown'))).toBe(true)
    // A stopped VM stays stopped: a second stop is a no-op.
    await run(h, job(h, 'stop', deploymentId, ipAddress), stepsOf('stop'), cp)
    expect(h.logs).toContain(`VM ${cp.vmid} is already stopped`)
    await run(h, job(h, 'start', deploymentId, ipAddress), ['start', 'wait_ssh'], cp)
    expect(vm()?.running).toBe(true)
    const shutdowns = h.sim.requests.filter((r) => r.path.endsWith('/status/shutdown')).length
    await run(h, job(h, 'destroy', deploymentId, ipAddress), DESTROY_STEPS, cp)
    expect(h.sim.requests.filter((r) => r.path.endsWith('/status/shutdown')).length).toBe(shutdowns)
    expect(vm()).toBeUndefined()
  })

  it('refuses to stop when the deployment has no VM any more, rather than report it stopped', async () => {
    h = await startHarness()
    const { deploymentId, ipAddress } = specFor()
    await expect(
      run(h, job(h, 'stop', deploymentId, ipAddress), stepsOf('stop'), {
        upids: {},
        doneSteps: [],
      }),
    ).rejects.toThrow(`no VM found for deployment ${deploymentId}`)
  })

  it('refuses every step on a saved VM id that another VM now has, changing nothing on it', async () => {
    h = await startHarness()
    const a = specFor()
    const saved = await run(h, job(h, 'deploy', a.deploymentId, a.ipAddress), DEPLOY_STEPS, {
      upids: {},
      doneSteps: [],
    })
    const vmid = saved.vmid ?? 0
    // A's VM is deleted behind its back, and someone clones their own VM under the freed id.
    await h.steps.destroy(vmid, a.deploymentId, h.ctx)
    const { client } = h.steps
    const path = `/nodes/${h.conn.node}/qemu`
    const task = async (
      method: 'POST' | 'PUT',
      url: string,
      params: Record<string, ParamValue>,
    ) => {
      const upid = await client.callTask(method, url, params)
      if (upid) await client.waitTask(upid, { timeoutMs: 10_000 })
    }
    await task('POST', `${path}/${h.conn.templateVmid}/clone`, {
      newid: vmid,
      name: 'family-minecraft',
      full: true,
      storage: h.conn.storage,
    })
    await task('POST', `${path}/${vmid}/config`, { tags: 'family', cores: 4 })
    await task('POST', `${path}/${vmid}/status/start`, {})
    const vm = h.sim.cluster.vms.get(vmid)
    const before = { config: { ...vm?.config }, running: vm?.running }
    const requests = h.sim.requests.length
    const found = `VM ${vmid} is not the VM of deployment ${a.deploymentId}: it is named "family-minecraft", with tags "family"`
    const cases: [JobKind, StepName, string][] = [
      ['start', 'start', 'start'],
      ['stop', 'stop_vm', 'shut down'],
      ['restart', 'stop_vm', 'shut down'],
      ['deploy', 'configure', 'configure'],
      ['deploy', 'resize', 'resize'],
      ['destroy', 'stop_vm', 'stop'],
      ['destroy', 'delete_vm', 'destroy'],
    ]
    for (const [kind, step, verb] of cases) {
      await expect(
        run(h, job(h, kind, a.deploymentId, a.ipAddress), [step], saved),
        `${kind} job, ${step} step`,
      ).rejects.toThrow(`${found}; refusing to ${verb} it`)
    }
    const after = h.sim.cluster.vms.get(vmid)
    expect({ config: after?.config, running: after?.running }).toEqual(before)
    // Only reads reached the VM: no power, config, resize or delete request.
    const writes = h.sim.requests
      .slice(requests)
      .filter((r) => r.method !== 'GET' && r.path.includes(`/qemu/${vmid}`))
    expect(writes.map((r) => `${r.method} ${r.path}`)).toEqual([])
  })

  it('lists this product’s VMs for the sweep and destroys an orphan only if it still is one', async () => {
    h = await startHarness()
    const a = specFor()
    const cp = await run(h, job(h, 'deploy', a.deploymentId, a.ipAddress), DEPLOY_STEPS, {
      upids: {},
      doneSteps: [],
    })
    const exec = createProxmoxExecutor(FAST)
    const signal = AbortSignal.timeout(10_000)
    const vms = await exec.productVms(h.conn, signal)
    // The template is not one of ours; the deployment's VM is, with its id from the tag.
    expect(vms).toEqual([
      { vmid: cp.vmid, name: expect.any(String), status: 'running', deploymentId: a.deploymentId },
    ])
    const ctx = { log: (t: string) => h?.logs.push(t), signal }
    await expect(
      exec.destroyOrphan(h.conn, cp.vmid ?? 0, 'another-deployment', ctx),
    ).rejects.toThrow('refusing to destroy it')
    await expect(exec.destroyOrphan(h.conn, h.conn.templateVmid, null, ctx)).rejects.toThrow(
      'template',
    )
    expect(h.sim.cluster.vms.has(cp.vmid ?? 0)).toBe(true)
    await exec.destroyOrphan(h.conn, cp.vmid ?? 0, a.deploymentId, ctx)
    expect(h.sim.cluster.vms.has(cp.vmid ?? 0)).toBe(false)
  })
})
