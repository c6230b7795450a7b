import type { ProxmoxClient } from './client'
import { ProxmoxTaskError, isVmMissing } from './errors'
import {
  asStep,
  assertDeploymentVm,
  notDeploymentVm,
  productVmOf,
  retryTransient,
  vmStatus,
  waitUnlocked,
  type RetryPolicy,
  type StepContext,
  type VmStepTimeouts,
} from './vm-common'

/**
 * Power and teardown steps: start (status checked first), shutdown with a fallback to stop,
 * stop, and destroy (stop → wait → DELETE purge → wait; a missing VM counts as destroyed).
 */
export class VmPower {
  constructor(
    readonly client: ProxmoxClient,
    readonly timeouts: VmStepTimeouts,
    readonly retry: RetryPolicy,
  ) {}

  private vmPath(vmid: number): string {
    return `/nodes/${this.client.node}/qemu/${vmid}`
  }

  /**
   * Step "start": a no-op when the VM already runs; otherwise POST start and wait for the task.
   * `VM n already running` from a retried start counts as success once status confirms it
   * (docs/proxmox-api.md#retried-start).
   * Refuses a VM that is not `deploymentId`'s (its tag or name), as every power step does.
   */
  start(vmid: number, deploymentId: string, ctx: StepContext): Promise<void> {
    return asStep('start', async () => {
      const st = await waitUnlocked(this.client, vmid, this.timeouts.unlockMs, ctx)
      assertDeploymentVm(st, vmid, deploymentId, 'start')
      if (st.status === 'running') {
        ctx.log(`VM ${vmid} is already running`)
        return
      }
      await retryTransient('start', this.retry, ctx, async () => {
        try {
          await this.task(
            'POST',
            `${this.vmPath(vmid)}/status/start`,
            {},
            this.timeouts.startMs,
            ctx,
          )
        } catch (err) {
          const already = err instanceof ProxmoxTaskError && /already running/.test(err.exitstatus)
          if (!already || (await vmStatus(this.client, vmid, ctx.signal)).status !== 'running') {
            throw err
          }
        }
      })
      ctx.log(`VM ${vmid} started`)
    })
  }

  /**
   * Graceful shutdown (ACPI / agent) within `timeoutS`, then a hard stop if the guest did not
   * power off. A stopped VM is left alone; a VM that is not `deploymentId`'s is refused.
   */
  shutdown(vmid: number, deploymentId: string, timeoutS: number, ctx: StepContext): Promise<void> {
    return asStep('shutdown', async () => {
      const st = await vmStatus(this.client, vmid, ctx.signal)
      assertDeploymentVm(st, vmid, deploymentId, 'shut down')
      if (st.status !== 'running') {
        ctx.log(`VM ${vmid} is already stopped`)
        return
      }
      ctx.log(`shutting down VM ${vmid} (up to ${timeoutS} s)`)
      try {
        await retryTransient('shutdown', this.retry, ctx, () =>
          this.task(
            'POST',
            `${this.vmPath(vmid)}/status/shutdown`,
            { timeout: timeoutS },
            (timeoutS + 60) * 1000,
            ctx,
          ),
        )
        ctx.log(`VM ${vmid} shut down`)
        return
      } catch (err) {
        if (!(err instanceof ProxmoxTaskError)) throw err
        ctx.log(`graceful shutdown failed (${err.exitstatus}); stopping VM ${vmid} hard`)
      }
      await this.hardStop(vmid, ctx)
    })
  }

  /**
   * Hard stop (like pulling the plug). A stopped VM finishes TASK OK; a VM that is not
   * `deploymentId`'s is refused.
   */
  stop(vmid: number, deploymentId: string, ctx: StepContext): Promise<void> {
    return asStep('stop', async () => {
      assertDeploymentVm(await vmStatus(this.client, vmid, ctx.signal), vmid, deploymentId, 'stop')
      await this.hardStop(vmid, ctx)
    })
  }

  /**
   * Destroy the VM of `deploymentId`: stop if running, then `DELETE ?purge=1&destroy-unreferenced-disks=1`
   * and wait. A VM that does not exist counts as destroyed. Refuses a VM that does not carry the
   * deployment's tag or name, or a template: a wrong vmid must never delete someone's VM.
   */
  destroy(vmid: number, deploymentId: string, ctx: StepContext): Promise<void> {
    return this.destroyChecked(vmid, ctx, (st) =>
      notDeploymentVm(st, vmid, deploymentId, 'destroy'),
    )
  }

  /**
   * Destroy a VM the sweep reported as an orphan: only if it still is one of this product's VMs
   * and names the same deployment (or none) as when it was reported.
   */
  destroyOrphan(vmid: number, deploymentId: string | null, ctx: StepContext): Promise<void> {
    return this.destroyChecked(vmid, ctx, (st) => {
      const of = productVmOf(st)
      if (!of)
        return `VM ${vmid} (${st.name ?? 'no name'}) is not a VM of this product; refusing to destroy it`
      if ((of.deploymentId ?? null) !== (deploymentId?.toLowerCase() ?? null))
        return `VM ${vmid} now names deployment ${of.deploymentId ?? 'none'}, not ${deploymentId ?? 'none'}; refusing to destroy it`
      return null
    })
  }

  private destroyChecked(
    vmid: number,
    ctx: StepContext,
    refuse: (st: { name?: string; tags?: string }) => string | null,
  ): Promise<void> {
    return asStep('destroy', async () => {
      try {
        const st = await waitUnlocked(this.client, vmid, this.timeouts.unlockMs, ctx)
        if (st.template === 1 || st.template === true) {
          throw new Error(`VM ${vmid} is a template; refusing to destroy it`)
        }
        const why = refuse(st)
        if (why) throw new Error(why)
        if (st.status === 'running') await this.hardStop(vmid, ctx)
        await retryTransient('destroy', this.retry, ctx, async () => {
          // After a 59x the first DELETE may still run (`lock: destroyed`): let it finish.
          await waitUnlocked(this.client, vmid, this.timeouts.unlockMs, ctx)
          await this.task(
            'DELETE',
            this.vmPath(vmid),
            { purge: true, 'destroy-unreferenced-disks': true },
            this.timeouts.taskMs,
            ctx,
          )
        })
        ctx.log(`VM ${vmid} destroyed`)
      } catch (err) {
        if (!isVmMissing(err)) throw err
        ctx.log(`VM ${vmid} does not exist (already destroyed)`)
      }
    })
  }

  private async hardStop(vmid: number, ctx: StepContext): Promise<void> {
    await retryTransient('stop', this.retry, ctx, () =>
      this.task('POST', `${this.vmPath(vmid)}/status/stop`, {}, this.timeouts.taskMs, ctx),
    )
    ctx.log(`VM ${vmid} stopped`)
  }

  private async task(
    method: 'POST' | 'DELETE',
    path: string,
    params: Record<string, number | boolean>,
    timeoutMs: number,
    ctx: StepContext,
  ): Promise<void> {
    const upid = await this.client.callTask(method, path, params, ctx.signal)
    if (upid) await this.client.waitTask(upid, { timeoutMs, signal: ctx.signal, log: ctx.log })
  }
}
