import * as z from 'zod'
import type { StepName } from '../../../core/protocol'
import { vmSpecFromDeployment } from '../../../core/vm-spec'
import type { StepContext, StepResult } from '../executors/types'
import { findBootDisk } from './encode'
import type { StepPools } from './backup-executor'
import { pruneSnapshots, rollbackTo, takeSnapshot } from './snapshot-steps'
import type { VmSteps } from './vm-steps'

/**
 * The Proxmox steps of a change job and of its rollback (their wait_ssh, provision and verify are
 * the deploy's): the snapshot before, the VM's new size, the cap on snapshots after, and the
 * rollback. Each is safe to run again after a runner restart.
 */
const CHANGE_JOB_STEPS = ['snapshot', 'change_vm', 'prune_snapshots', 'rollback'] as const
export type ChangeStep = (typeof CHANGE_JOB_STEPS)[number]

export function isChangeStep(step: StepName): step is ChangeStep {
  return (CHANGE_JOB_STEPS as readonly StepName[]).includes(step)
}

const Sizing = z
  .object({
    cores: z.union([z.number(), z.string()]).optional(),
    memory: z.union([z.number(), z.string()]).optional(),
  })
  .passthrough()

/** The memory in MiB from a config's `memory` (a number, or `current=N,…` since PVE 8.1). */
function memoryMiB(raw: string | number | undefined): number {
  if (raw === undefined) return 512
  const m = /(?:^|current=)(\d+)/.exec(String(raw))
  return m ? Number(m[1]) : 512
}

const GRACEFUL_STOP_S = 180

export function createChangeExecutor(pools: StepPools) {
  /**
   * Step change_vm: CPU and memory need the VM stopped (the guest shuts down, its game saves),
   * the disk grows online. A repeat finds the config already applied and the VM maybe stopped:
   * it only starts it again.
   */
  async function changeVm(steps: VmSteps, vmid: number, ctx: StepContext): Promise<void> {
    const { job } = ctx
    const sctx = { log: (l: string) => ctx.log(l), signal: ctx.signal }
    const spec = vmSpecFromDeployment(job.spec, ctx.sshPublicKey)
    const path = `/nodes/${encodeURIComponent(steps.client.node)}/qemu/${vmid}/config`
    const config = Sizing.parse(await steps.client.call('GET', path, {}, ctx.signal))
    const cores = Number(config.cores ?? 1)
    const memory = memoryMiB(config.memory)
    const disk = findBootDisk(config as Record<string, unknown>)
    if (disk?.bytes != null && disk.bytes > spec.diskGiB * 1024 ** 3) {
      throw new Error(
        `the disk can only grow: VM ${vmid}'s ${disk.key} is ${disk.size}, more than the ${spec.diskGiB}G asked (Proxmox refuses to shrink disks)`,
      )
    }
    const sizing = cores !== spec.cores || memory !== spec.memoryMiB
    let running = (await steps.powerState(vmid, ctx.signal)) === 'running'
    if (sizing) {
      ctx.log(
        `CPU and memory: ${cores} → ${spec.cores} cores, ${memory} → ${spec.memoryMiB} MiB; the VM restarts for them`,
      )
      if (running) {
        ctx.log('asking the guest to shut down: the game saves and stops first')
        await steps.shutdown(vmid, job.deploymentId, GRACEFUL_STOP_S, sctx)
        running = false
      }
      // Only the size: the VM's MAC, and so its cloud-init identity and SSH host keys, stay.
      await steps.setSize(vmid, spec, sctx)
    } else ctx.log(`CPU and memory unchanged (${cores} cores, ${memory} MiB)`)
    await steps.resizeDisk(vmid, spec, sctx)
    if (!running) await steps.start(vmid, job.deploymentId, sctx)
  }

  async function runChangeStep(step: ChangeStep, ctx: StepContext): Promise<StepResult> {
    const log = (line: string): void => ctx.log(line)
    const sctx = { log, signal: ctx.signal }
    const { job } = ctx
    const change = job.change
    if (!change) throw new Error(`step ${step} needs the change's snapshot, and this job has none`)
    return pools.withJobSteps(job.jobId, job.proxmox, log, async (steps) => {
      const vmid =
        ctx.checkpoint.vmid ?? (await steps.findVmByDeployment(job.deploymentId, sctx))?.vmid
      if (vmid === undefined) throw new Error(`no VM found for deployment ${job.deploymentId}`)
      switch (step) {
        case 'snapshot': {
          for (const line of change.summary) log(`change: ${line}`)
          const description = `Proxmox Game Deployer: before a change of ${job.spec.name} (${job.deploymentId})\n${change.summary.join('\n')}`
          await takeSnapshot(steps.client, vmid, change.snapshot, description, sctx)
          return { vmid }
        }
        case 'change_vm':
          await changeVm(steps, vmid, ctx)
          return { vmid }
        case 'prune_snapshots':
          await pruneSnapshots(steps.client, vmid, change.keepSnapshots, sctx)
          return { vmid }
        case 'rollback':
          await rollbackTo(steps.client, vmid, change.snapshot, sctx)
          return { vmid }
      }
    })
  }

  return { runChangeStep }
}
