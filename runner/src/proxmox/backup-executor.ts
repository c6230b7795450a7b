import { BACKUP_STEPS, type StepName } from '../../../core/protocol'
import type { ProxmoxConnection } from '../../../core/settings'
import type { StepContext, StepResult } from '../executors/types'
import {
  deleteBackup,
  deploymentBackups,
  restoreVm,
  resumeWorld,
  saveWorld,
  setProtection,
  vzdump,
  worldSaveFor,
} from './backup-steps'
import { pruneBackups } from './backup-prune'
import type { VmSteps } from './vm-steps'

/** The steps of a backup job, and the restore's own two (its other steps are the VM's). */
const BACKUP_JOB_STEPS = [...BACKUP_STEPS, 'safety_backup', 'restore_vm'] as const
export type BackupStep = (typeof BACKUP_JOB_STEPS)[number]

export function isBackupStep(step: StepName): step is BackupStep {
  return (BACKUP_JOB_STEPS as readonly StepName[]).includes(step)
}

/** The executor's connection pools, which the backup steps share with the VM steps. */
export interface StepPools {
  withSteps<T>(
    conn: ProxmoxConnection,
    log: (l: string) => void,
    fn: (s: VmSteps) => Promise<T>,
  ): Promise<T>
  withJobSteps<T>(
    jobId: string,
    conn: ProxmoxConnection,
    log: (l: string) => void,
    fn: (s: VmSteps) => Promise<T>,
  ): Promise<T>
}

/** The backup and restore steps, the backup list and delete, on the executor's pools. */
export function createBackupExecutor(pools: StepPools) {
  const { withSteps, withJobSteps } = pools
  /**
   * One step of a backup job (backup-steps.ts). The world is saved the same way in each step, from
   * the VM's power state: a resumed job decides as the first runner did.
   */
  async function runBackupStep(step: BackupStep, ctx: StepContext): Promise<StepResult> {
    const log = (line: string): void => ctx.log(line)
    const bctx = { log, signal: ctx.signal }
    const { job } = ctx
    return withJobSteps(job.jobId, job.proxmox, log, async (steps) => {
      const vmid =
        ctx.checkpoint.vmid ?? (await steps.findVmByDeployment(job.deploymentId, bctx))?.vmid
      if (vmid === undefined) throw new Error(`no VM found for deployment ${job.deploymentId}`)
      const save = worldSaveFor(job, (await steps.powerState(vmid, ctx.signal)) === 'running')
      switch (step) {
        case 'save_world':
          await saveWorld(save, bctx)
          return { vmid }
        case 'vzdump':
          try {
            const version = ctx.checkpoint.gameVersion ?? null
            const kind = job.backup?.kind ?? 'manual'
            await vzdump(steps.client, job, vmid, save, kind, version, bctx)
          } catch (err) {
            // The game saves again even when the archive failed.
            if (save.via === 'console')
              await resumeWorld(save, bctx).catch((e: unknown) =>
                log(`could not turn saving back on: ${e instanceof Error ? e.message : String(e)}`),
              )
            throw err
          }
          return { vmid }
        case 'resume_world':
          await resumeWorld(save, bctx)
          return {}
        case 'prune_backups': {
          const params = job.backup
          if (params?.kind !== 'scheduled' || !params.keep) {
            log('a manual backup: nothing is removed (retention applies to scheduled backups)')
            return {}
          }
          const storage = job.proxmox.backupStorage
          const tz = params.timeZone ?? 'UTC'
          await pruneBackups(steps.client, storage, job.deploymentId, params.keep, tz, bctx)
          return {}
        }
        case 'safety_backup': {
          if (job.restore?.skipSafety) {
            log('the safety backup was made by the first attempt of this restore')
            return { vmid }
          }
          log('a safety backup of the current state first, to go back to if needed')
          await saveWorld(save, bctx)
          try {
            const version = ctx.checkpoint.gameVersion ?? null
            await vzdump(steps.client, job, vmid, save, 'safety', version, bctx)
          } finally {
            await resumeWorld(save, bctx).catch((e: unknown) =>
              log(`could not turn saving back on: ${e instanceof Error ? e.message : String(e)}`),
            )
          }
          return { vmid }
        }
        case 'restore_vm': {
          if (!job.restore) throw new Error('this job names no backup to restore')
          await restoreVm(steps.client, job, vmid, job.restore.volid, bctx)
          return { vmid }
        }
      }
    })
  }

  /** A deployment's backups on the backup storage. */
  function listBackups(proxmox: ProxmoxConnection, deploymentId: string, signal: AbortSignal) {
    return withSteps(
      proxmox,
      () => undefined,
      (steps) => deploymentBackups(steps.client, proxmox.backupStorage, deploymentId, signal),
    )
  }

  /** Delete one of a deployment's backups (refused for anything else, or a protected one). */
  function removeBackup(
    proxmox: ProxmoxConnection,
    deploymentId: string,
    volid: string,
    signal: AbortSignal,
  ) {
    return withSteps(
      proxmox,
      () => undefined,
      (steps) => deleteBackup(steps.client, proxmox.backupStorage, deploymentId, volid, signal),
    )
  }

  /** Protect or unprotect one of a deployment's backups. */
  function protectBackup(
    proxmox: ProxmoxConnection,
    deploymentId: string,
    volid: string,
    protect: boolean,
    signal: AbortSignal,
  ) {
    return withSteps(
      proxmox,
      () => undefined,
      (steps) =>
        setProtection(steps.client, proxmox.backupStorage, deploymentId, volid, protect, signal),
    )
  }

  return { runBackupStep, listBackups, removeBackup, protectBackup }
}
