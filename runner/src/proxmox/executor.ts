import { TEMPLATE_STEPS, type ConnectionCheck, type StepName } from '../../../core/protocol'
import type { ProxmoxConnection } from '../../../core/settings'
import { vmSpecFromDeployment } from '../../../core/vm-spec'
import type { StepContext, StepResult, TestContext } from '../executors/types'
import { checkHostKey, type ScanOptions } from '../ssh/host-key'
import type { SshWaitTimeouts } from '../ssh/wait'
import { backupsAfterDestroy } from './backup-prune'
import { allocateAndRestore } from './restore-new'
import { createBackupExecutor } from './backup-executor'
import { createSnapshotLister } from './snapshot-list'
import { createChangeExecutor } from './change-executor'
import { readCapacity } from './capacity'
import { errorText } from './errors'
import { retryTransient } from './vm-common'
import { sleep } from './wait'
import { VmSteps, type VmStepsOptions } from './vm-steps'
import { findBakedTemplate, sealTemplate } from './bake-steps'
import type { BakedName } from '../../../core/bake'
import {
  DEFAULT_TEMPLATE_TIMEOUTS,
  createVm,
  downloadImage,
  imageChecksum,
  makeTemplate,
  type TemplateTimeouts,
} from './template-steps'

/**
 * The Proxmox and SSH-wait steps in the shape of the runner's `Executors` (executors/types.ts),
 * for `createRealExecutors` to delegate to. Provisioning and verify (Ansible, game) are not here.
 */

/** The steps this module runs. */
export const PROXMOX_STEPS = [
  'allocate',
  'clone',
  'configure',
  'resize',
  'start',
  'wait_ssh',
  'stop_vm',
  'delete_vm',
  'seal_template',
] as const satisfies readonly StepName[]
export type ProxmoxStep = (typeof PROXMOX_STEPS)[number]

export function isProxmoxStep(step: StepName): step is ProxmoxStep {
  return (PROXMOX_STEPS as readonly StepName[]).includes(step)
}

/** The steps of a template job. */
export type TemplateStep = (typeof TEMPLATE_STEPS)[number]

export function isTemplateStep(step: StepName): step is TemplateStep {
  return (TEMPLATE_STEPS as readonly StepName[]).includes(step)
}

export interface ProxmoxExecutorOptions extends VmStepsOptions {
  /** How long the template job's downloads and tasks may take. */
  templateTimeouts?: Partial<TemplateTimeouts>
  /** Graceful shutdown before a destroy, in seconds, then a hard stop; 0 (default): hard stop. */
  shutdownTimeoutS?: number
  /**
   * Stop and restart jobs: how long the guest gets to shut down (its game service saves the
   * world on the way down) before Proxmox stops it hard. Default 180 s.
   */
  gracefulStopTimeoutS?: number
  /** Stages of the SSH wait (defaults: 5 min to boot, 2 min for the banner). */
  sshTimeouts?: Partial<SshWaitTimeouts>
  /** How the VM's SSH host key is read once SSH answers (ssh-keyscan's timeout, its path). */
  hostKeyScan?: Omit<ScanOptions, 'signal'>
}

/** A job's connection pool is closed when none of its steps has used it for this long. */
const JOB_POOL_IDLE_MS = 10_000

/**
 * Build the step runner. A job's steps share one VmSteps (one keep-alive connection pool, the
 * server's version read once), closed once idle: a pool per step cost each step a TLS handshake
 * and a version request. A connection test gets its own, closed afterwards.
 */
export function createProxmoxExecutor(options: ProxmoxExecutorOptions = {}) {
  const shutdownTimeoutS = options.shutdownTimeoutS ?? 0
  const gracefulStopTimeoutS = options.gracefulStopTimeoutS ?? 180
  interface JobPool {
    steps: VmSteps
    conn: string
    /** Where the pool's own lines (retries, warnings) go: the step using it now. */
    sink: { log: (l: string) => void }
    idle: NodeJS.Timeout | null
  }
  const pools = new Map<string, JobPool>()
  /**
   * The game-ready template each deployment's VM was cloned from by this runner, until its
   * provision reads it (core/bake.ts). Not kept across a restart: provision then runs the whole
   * playbook, which is right on any VM, only slower.
   */
  const bakedClones = new Map<string, BakedName>()

  async function withSteps<T>(
    conn: ProxmoxConnection,
    log: (l: string) => void,
    fn: (s: VmSteps) => Promise<T>,
  ): Promise<T> {
    const steps = new VmSteps(conn, { ...options, log })
    try {
      return await fn(steps)
    } finally {
      steps.close()
    }
  }

  /** The job's pool (a new one if its connection settings changed), logging to this step. */
  async function withJobSteps<T>(
    jobId: string,
    conn: ProxmoxConnection,
    log: (l: string) => void,
    fn: (s: VmSteps) => Promise<T>,
  ): Promise<T> {
    const key = JSON.stringify(conn)
    let pool = pools.get(jobId)
    if (pool && pool.conn !== key) {
      if (pool.idle) clearTimeout(pool.idle)
      pool.steps.close()
      pool = undefined
    }
    if (!pool) {
      const sink = { log }
      pool = {
        steps: new VmSteps(conn, { ...options, log: (l) => sink.log(l) }),
        conn: key,
        sink,
        idle: null,
      }
      pools.set(jobId, pool)
    }
    const current = pool
    if (current.idle) clearTimeout(current.idle)
    current.idle = null
    current.sink.log = log
    try {
      return await fn(current.steps)
    } finally {
      current.idle = setTimeout(() => {
        if (pools.get(jobId) === current) pools.delete(jobId)
        current.steps.close()
      }, JOB_POOL_IDLE_MS)
      current.idle.unref()
    }
  }

  /** Run one Proxmox step; every step is idempotent (resume after a crash runs it again). */
  async function runStep(step: ProxmoxStep, ctx: StepContext): Promise<StepResult> {
    const log = (line: string): void => ctx.log(line)
    const step_ = { log, signal: ctx.signal }
    const { job } = ctx
    return withJobSteps(job.jobId, job.proxmox, log, async (steps) => {
      const vmid = async (): Promise<number | null> =>
        ctx.checkpoint.vmid ??
        (await steps.findVmByDeployment(job.deploymentId, step_))?.vmid ??
        null
      const needVmid = async (): Promise<number> => {
        const id = await vmid()
        if (id === null) throw new Error(`no VM found for deployment ${job.deploymentId}`)
        return id
      }
      switch (step) {
        case 'allocate': {
          // The id is taken together with the clone, under one lock
          // (docs/proxmox-api.md#nextid-race).
          const found = await steps.findVmByDeployment(job.deploymentId, step_)
          log(
            found
              ? `VM ${found.vmid} already exists for this deployment`
              : 'the VM id is allocated with the clone',
          )
          return found ? { vmid: found.vmid } : {}
        }
        case 'clone': {
          const spec = vmSpecFromDeployment(job.spec, ctx.sshPublicKey)
          const from = job.spec.restoreFrom
          if (from) return { vmid: (await allocateAndRestore(steps, spec, from, step_)).vmid }
          // A game-ready template when there is a current one; a VM that exists already (a
          // resumed clone) was cloned from whichever: provision then runs the whole playbook.
          const fresh = !(await steps.findVmByDeployment(job.deploymentId, step_))
          const baked =
            fresh && job.kind === 'deploy'
              ? await findBakedTemplate(steps.client, job.spec.game, step_)
              : null
          const { vmid: id } = await steps.allocateAndClone(spec, step_, baked ?? undefined)
          if (baked) bakedClones.set(job.deploymentId, baked.baked)
          return { vmid: id }
        }
        case 'configure': {
          const id = await needVmid()
          await steps.configure(id, vmSpecFromDeployment(job.spec, ctx.sshPublicKey), step_)
          return { vmid: id }
        }
        case 'resize': {
          const id = await needVmid()
          await steps.resizeDisk(id, vmSpecFromDeployment(job.spec, ctx.sshPublicKey), step_)
          return { vmid: id }
        }
        case 'start': {
          const id = await needVmid()
          await steps.start(id, job.deploymentId, step_)
          return { vmid: id }
        }
        case 'wait_ssh': {
          await steps.waitSsh(job.spec.ipAddress, { ...step_, timeouts: options.sshTimeouts })
          // First contact pins the VM's host key (the deploy's boot window); every later job
          // must find the same key, or fails here before anything runs over SSH.
          const hostKey = await checkHostKey(
            job.spec.ipAddress,
            job.proxmox.sshPort,
            ctx.checkpoint.hostKey,
            { ...options.hostKeyScan, ...step_ },
          )
          return { ip: job.spec.ipAddress, ...(hostKey ? { hostKey } : {}) }
        }
        case 'stop_vm': {
          const id = await vmid()
          if (id === null) {
            // A stop of a VM that is gone must not pass for done: the admin would see "stopped".
            if (job.kind !== 'destroy') await needVmid()
            log(`no VM for deployment ${job.deploymentId}; nothing to stop`)
          } else if (job.kind !== 'destroy') {
            // Stop and restart: the guest's shutdown stops the game's service, which saves the
            // world; Proxmox stops the VM hard only if that takes longer than the timeout.
            log(
              `asking the guest to shut down: the game saves and stops first (forced stop after ${gracefulStopTimeoutS} s)`,
            )
            await steps.shutdown(id, job.deploymentId, gracefulStopTimeoutS, step_)
          }
          // The destroy job deletes the disk next: a graceful shutdown only when asked for.
          else if (shutdownTimeoutS > 0)
            await steps.shutdown(id, job.deploymentId, shutdownTimeoutS, step_)
          else await steps.stop(id, job.deploymentId, step_)
          return id === null ? {} : { vmid: id }
        }
        case 'seal_template':
          return sealTemplate(
            steps.client,
            await needVmid(),
            job.spec,
            step_,
            steps.timeouts.taskMs,
          )
        case 'delete_vm': {
          const id = await vmid()
          if (id === null) log(`no VM for deployment ${job.deploymentId}; nothing to delete`)
          else await steps.destroy(id, job.deploymentId, step_)
          await backupsAfterDestroy(steps.client, job, step_)
          return {}
        }
      }
    })
  }

  /** One step of a template job (template-steps.ts); as idempotent as the VM steps. */
  async function runTemplateStep(step: TemplateStep, ctx: StepContext): Promise<StepResult> {
    const log = (line: string): void => ctx.log(line)
    const req = ctx.job.spec.template
    if (!req)
      throw new Error(`step ${step} belongs to a template job, and this job has no template`)
    const tctx = { log, signal: ctx.signal }
    const timeouts = { ...DEFAULT_TEMPLATE_TIMEOUTS, ...options.templateTimeouts }
    return withJobSteps(ctx.job.jobId, ctx.job.proxmox, log, async (steps) => {
      switch (step) {
        case 'image_checksum':
          await imageChecksum(steps.client, req, tctx, timeouts)
          return {}
        case 'download_image':
          return downloadImage(steps.client, req, tctx, timeouts)
        case 'create_vm':
          return createVm(steps.client, ctx.job.proxmox, req, tctx, timeouts)
        case 'make_template':
          return makeTemplate(steps.client, req, tctx, timeouts)
      }
    })
  }

  const backups = createBackupExecutor({ withSteps, withJobSteps })
  const changes = createChangeExecutor({ withSteps, withJobSteps })
  const snapshots = createSnapshotLister({ withSteps })

  /** The setup wizard's checks, on this runner. */
  function testConnection(
    proxmox: ProxmoxConnection,
    ctx: TestContext,
  ): Promise<ConnectionCheck[]> {
    return withSteps(
      proxmox,
      (l) => ctx.log(l),
      (steps) => steps.testConnection(ctx.signal),
    )
  }

  /** The node's free memory and the storage's free space. */
  function capacity(proxmox: ProxmoxConnection, signal: AbortSignal) {
    return withSteps(
      proxmox,
      () => {},
      (steps) => readCapacity(steps.client, proxmox.storage, signal),
    )
  }

  /** The VM's power state, `missing` when it is gone. */
  function powerState(proxmox: ProxmoxConnection, vmid: number, signal: AbortSignal) {
    return withSteps(
      proxmox,
      () => {},
      (steps) => steps.powerState(vmid, signal),
    )
  }

  /** Every VM of this product on the node. */
  function productVms(proxmox: ProxmoxConnection, signal: AbortSignal) {
    return withSteps(
      proxmox,
      () => {},
      (steps) => steps.productVms(signal),
    )
  }

  /** Destroy an orphan (re-checked: still ours, same deployment). */
  function destroyOrphan(
    proxmox: ProxmoxConnection,
    vmid: number,
    deploymentId: string | null,
    ctx: TestContext,
  ): Promise<void> {
    const log = (l: string): void => ctx.log(l)
    return withSteps(proxmox, log, (steps) =>
      steps.destroyOrphan(vmid, deploymentId, { log, signal: ctx.signal }),
    )
  }

  /**
   * Writes `content` into the file `path` inside the guest, through the QEMU guest agent
   * (`POST …/agent/file-write`; Proxmox needs the agent enabled and running in the guest). A
   * whole-file write is safe to repeat: lost answers are retried, and an agent that has not
   * started yet (it comes up with the guest's services) is waited for, up to the task timeout.
   */
  function writeGuestFile(
    ctx: StepContext,
    vmid: number,
    path: string,
    content: string,
  ): Promise<void> {
    const log = (l: string): void => ctx.log(l)
    const step = { log, signal: ctx.signal }
    return withJobSteps(ctx.job.jobId, ctx.job.proxmox, log, (steps) => {
      const url = `/nodes/${steps.client.node}/qemu/${vmid}/agent/file-write`
      const deadline = Date.now() + steps.timeouts.taskMs
      return retryTransient('write the file in the guest', steps.retry, step, async () => {
        for (let wait = 250; ; wait = Math.min(wait * 2, 2_000)) {
          try {
            await steps.client.call('POST', url, { file: path, content }, ctx.signal)
            return
          } catch (err) {
            if (!/QEMU guest agent is not running/.test(errorText(err))) throw err
            if (Date.now() + wait > deadline) throw err
            await sleep(wait, ctx.signal)
          }
        }
      })
    })
  }

  return {
    runStep,
    ...backups,
    ...changes,
    ...snapshots,
    runTemplateStep,
    testConnection,
    capacity,
    powerState,
    productVms,
    destroyOrphan,
    writeGuestFile,
    /** The game-ready template this runner cloned the deployment's VM from, read once. */
    takeBakedClone(deploymentId: string): BakedName | undefined {
      const baked = bakedClones.get(deploymentId)
      bakedClones.delete(deploymentId)
      return baked
    },
  }
}
