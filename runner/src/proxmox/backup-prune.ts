import type { JobAssignment } from '../../../core/protocol'
import { pruneSelection, type Retention } from '../../../core/schedules'
import { deleteArchive, deploymentBackups, type BackupStepContext } from './backup-steps'
import type { ProxmoxClient } from './client'

/**
 * Step prune_backups of a scheduled backup: the schedule's retention applied to this deployment's
 * scheduled backups (never a manual, safety or protected one, never another deployment's or
 * anything this product did not make). Run again after a crash, it lists again and deletes what
 * is still there.
 */
export async function pruneBackups(
  client: ProxmoxClient,
  storage: string,
  deploymentId: string,
  keep: Retention,
  timeZone: string,
  ctx: BackupStepContext,
): Promise<{ kept: number; removed: string[] }> {
  const backups = await deploymentBackups(client, storage, deploymentId, ctx.signal)
  const { keep: kept, remove } = pruneSelection(backups, keep, timeZone)
  ctx.log(
    `retention (${timeZone}): the newest scheduled backup of each day, ${keep.daily} day(s), then of each week, ${keep.weekly} week(s); manual, safety and protected backups are never removed`,
  )
  if (remove.length === 0) {
    ctx.log(`nothing to remove: ${kept.length} backups kept`)
    return { kept: kept.length, removed: [] }
  }
  for (const volid of remove) {
    ctx.log(`removing ${volid}`)
    await deleteArchive(client, storage, volid, ctx.signal)
  }
  ctx.log(`${remove.length} removed, ${kept.length} kept`)
  return { kept: kept.length, removed: remove }
}

/**
 * After a destroy's VM is gone: the deployment's backups are kept (said with how many, and where
 * to restore them), or deleted when the admin asked, all but the protected ones.
 */
export async function backupsAfterDestroy(
  client: ProxmoxClient,
  job: JobAssignment,
  ctx: BackupStepContext,
): Promise<void> {
  const storage = job.proxmox.backupStorage
  const listed = deploymentBackups(client, storage, job.deploymentId, ctx.signal)
  if (!job.destroy?.deleteBackups) {
    // Kept: a storage that cannot be read now must not fail the destroy.
    const backups = await listed.catch((err: unknown) => {
      ctx.log(`the backups on ${storage} could not be listed (${String(err)}); none was deleted`)
      return []
    })
    if (backups.length > 0)
      ctx.log(
        `${backups.length} backup(s) of this deployment kept on ${storage}: a new server can be made from them on this deployment's page`,
      )
    return
  }
  for (const b of await listed) {
    if (b.protected) {
      ctx.log(`${b.volid} is protected: kept`)
      continue
    }
    ctx.log(`deleting the backup ${b.volid}`)
    await deleteArchive(client, storage, b.volid, ctx.signal)
  }
}
