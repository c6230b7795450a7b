import * as z from 'zod'
import {
  backupNotes,
  parseBackupNotes,
  type BackupEntry,
  type BackupKind,
} from '../../../core/backups'
import type { JobAssignment } from '../../../core/protocol'
import { rconCommands, type RconTarget } from '../games/rcon'
import type { ProxmoxClient } from './client'
import { ProxmoxTaskError } from './errors'
import { sleep } from './wait'

/**
 * A backup job's steps (save_world → vzdump → resume_world) and the backup list, against the
 * Proxmox API and the game's console. Each step is safe to run again after a crash: vzdump first
 * looks for the archive this job already made, or the backup still running on the VM.
 *
 * How the world is made consistent: a game with a console (Minecraft with RCON) stops saving and
 * flushes (`save-off`, `save-all flush`) and vzdump takes a snapshot while it keeps running; a
 * game without one is backed up in vzdump's stop mode (the guest shuts down, which stops the game
 * service and saves the world, and starts again): players are disconnected for that time.
 */

export interface BackupStepContext {
  log: (line: string) => void
  signal: AbortSignal
}

export interface BackupTimeouts {
  /** The vzdump task. */
  vzdumpMs: number
  /** Deleting an archive. */
  deleteMs: number
}

export const DEFAULT_BACKUP_TIMEOUTS: BackupTimeouts = {
  vzdumpMs: 6 * 60 * 60_000,
  deleteMs: 5 * 60_000,
}

/** How a job makes its game's world consistent for the archive. */
export type WorldSave = { via: 'console'; rcon: RconTarget } | { via: 'stop' } | { via: 'none' }

const StorageContent = z.array(
  z.object({
    volid: z.string(),
    ctime: z.number().optional(),
    size: z.number().optional(),
    notes: z.string().optional(),
    protected: z.union([z.boolean(), z.number()]).optional(),
    vmid: z.number().optional(),
  }),
)

const VmConfig = z.object({ lock: z.string().optional() }).passthrough()

/** Whether the VM runs, and how its game's world is saved for this job. */
export function worldSaveFor(job: JobAssignment, running: boolean): WorldSave {
  if (!running) return { via: 'none' }
  const config = job.spec.gameConfig
  const password = job.gameSecrets.rconPassword
  if (job.spec.game === 'minecraft' && config.rconEnabled === true && password) {
    const port = typeof config.rconPort === 'number' ? config.rconPort : 25_575
    return { via: 'console', rcon: { host: job.spec.ipAddress, port, password } }
  }
  return { via: 'stop' }
}

/** Step save_world: the game stops writing its world and flushes it, or the log says why not. */
export async function saveWorld(save: WorldSave, ctx: BackupStepContext): Promise<void> {
  if (save.via === 'none') return ctx.log('the VM is stopped: its disk is consistent as it is')
  if (save.via === 'stop') {
    return ctx.log(
      'this server has no console to save its world through: the backup runs in stop mode (the game saves as the VM shuts down, then the VM starts again; players are disconnected meanwhile)',
    )
  }
  try {
    const answers = await rconCommands(save.rcon, ['save-off', 'save-all flush'], ctx)
    for (const a of answers) ctx.log(`game: ${a}`)
  } catch (err) {
    // Never leave the game with saving off: `save-off` may have gone through.
    await resumeWorld(save, ctx).catch(() => undefined)
    throw new Error(`the game's console: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    })
  }
}

/** Step resume_world (and after a failed vzdump): the game saves on its own again. */
export async function resumeWorld(save: WorldSave, ctx: BackupStepContext): Promise<void> {
  if (save.via !== 'console') return ctx.log('nothing to resume: the game was not asked to pause')
  const [answer] = await rconCommands(save.rcon, ['save-on'], ctx)
  ctx.log(`game: ${answer ?? '(no answer)'}`)
}

/** This job's archive on the storage, if it made one already (a resumed job). */
async function archiveOfJob(
  client: ProxmoxClient,
  storage: string,
  vmid: number,
  jobId: string,
  signal: AbortSignal,
) {
  const list = await listArchives(client, storage, vmid, signal)
  return list.find((a) => a.tag.jobId === jobId) ?? null
}

/** A failed restore task in Proxmox's own words: its last error line, else its exit status. */
export function restoreFailed(err: ProxmoxTaskError): Error {
  const line = [...err.logTail].reverse().find((l) => /error|unable/i.test(l))
  return new Error(`the restore failed: ${line ?? err.exitstatus}`, { cause: err })
}

/** vzdump's own words for a failed backup: its `ERROR:` line, else the task's exit status. */
function vzdumpError(err: ProxmoxTaskError): string {
  const line = [...err.logTail].reverse().find((l) => l.startsWith('ERROR:'))
  return line ? line.replace(/^ERROR:\s*/, '') : err.exitstatus
}

/**
 * Step vzdump: archive the VM to the backup storage, with notes naming the deployment and this
 * job. Returns the archive's volume id.
 */
export async function vzdump(
  client: ProxmoxClient,
  job: JobAssignment,
  vmid: number,
  save: WorldSave,
  kind: BackupKind,
  gameVersion: string | null,
  ctx: BackupStepContext,
  timeouts: BackupTimeouts = DEFAULT_BACKUP_TIMEOUTS,
): Promise<string> {
  const storage = job.proxmox.backupStorage
  const node = encodeURIComponent(client.node)
  const done = await archiveOfJob(client, storage, vmid, job.jobId, ctx.signal)
  if (done) {
    ctx.log(`this job's backup is already on ${storage}: ${done.volid}`)
    return done.volid
  }
  // A backup still running on the VM is this job's, started before a runner restart.
  const config = VmConfig.parse(
    await client.call('GET', `/nodes/${node}/qemu/${vmid}/config`, {}, ctx.signal),
  )
  if (config.lock === 'backup') {
    ctx.log('a backup of this VM is already running (this job, before a runner restart): waiting')
    const deadline = Date.now() + timeouts.vzdumpMs
    for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
      await sleep(Math.min(5_000, 200 * (i + 1)), ctx.signal)
      const now = VmConfig.parse(
        await client.call('GET', `/nodes/${node}/qemu/${vmid}/config`, {}, ctx.signal),
      )
      if (now.lock !== 'backup') break
    }
    const made = await archiveOfJob(client, storage, vmid, job.jobId, ctx.signal)
    if (made) return made.volid
    ctx.log('that backup left no archive of this job: starting one')
  }
  const tag = {
    deploymentId: job.deploymentId,
    jobId: job.jobId,
    kind,
    game: job.spec.game,
    gameVersion,
  }
  const mode = save.via === 'stop' ? 'stop' : 'snapshot'
  ctx.log(`vzdump of VM ${vmid} to ${storage} (${mode} mode, zstd)`)
  const upid = await client.callTask(
    'POST',
    `/nodes/${node}/vzdump`,
    {
      vmid: String(vmid),
      storage,
      mode,
      compress: 'zstd',
      'notes-template': backupNotes(tag, job.spec.name),
      // Retention is the product's (per deployment), never the storage's prune settings.
      remove: false,
    },
    ctx.signal,
  )
  if (!upid) throw new Error('vzdump did not return a task')
  try {
    await client.waitTask(upid, { timeoutMs: timeouts.vzdumpMs, log: ctx.log, signal: ctx.signal })
  } catch (err) {
    if (err instanceof ProxmoxTaskError)
      throw new Error(`vzdump failed: ${vzdumpError(err)}`, { cause: err })
    throw err
  }
  const made = await archiveOfJob(client, storage, vmid, job.jobId, ctx.signal)
  if (!made) throw new Error(`vzdump ended but no archive of this job is on ${storage}`)
  ctx.log(`backup made: ${made.volid} (${Math.round(made.size / 1024 ** 2)} MiB)`)
  return made.volid
}

/**
 * Step restore_vm: the archive (after checking its notes name this deployment) restored over the
 * stopped VM, config and disks. Run again after a crash, it waits for a restore still running and
 * restores again: the same archive over the same VM ends the same.
 */
export async function restoreVm(
  client: ProxmoxClient,
  job: JobAssignment,
  vmid: number,
  volid: string,
  ctx: BackupStepContext,
  timeouts: BackupTimeouts = DEFAULT_BACKUP_TIMEOUTS,
): Promise<void> {
  const storage = job.proxmox.backupStorage
  const archive = (await listArchives(client, storage, null, ctx.signal)).find(
    (a) => a.volid === volid,
  )
  if (!archive || archive.tag.deploymentId !== job.deploymentId) {
    throw new Error(`${volid} is not a backup of this deployment on ${storage}`)
  }
  const node = encodeURIComponent(client.node)
  const config = `/nodes/${node}/qemu/${vmid}/config`
  const deadline = Date.now() + timeouts.vzdumpMs
  for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
    const now = VmConfig.parse(await client.call('GET', config, {}, ctx.signal))
    if (now.lock !== 'create') break
    if (i === 0) ctx.log('a restore of this VM is still running (before a runner restart): waiting')
    await sleep(Math.min(5_000, 200 * (i + 1)), ctx.signal)
  }
  ctx.log(`restoring ${volid} over VM ${vmid}`)
  const upid = await client.callTask(
    'POST',
    `/nodes/${node}/qemu`,
    { vmid, archive: volid, force: true, storage: job.proxmox.storage },
    ctx.signal,
  )
  if (!upid) throw new Error('the restore did not return a task')
  try {
    await client.waitTask(upid, { timeoutMs: timeouts.vzdumpMs, log: ctx.log, signal: ctx.signal })
  } catch (err) {
    if (err instanceof ProxmoxTaskError) throw restoreFailed(err)
    throw err
  }
  ctx.log(`VM ${vmid} restored from ${volid}`)
}

/** The archives of `vmid` on `storage` this product made, newest first, with their tags. */
export async function listArchives(
  client: ProxmoxClient,
  storage: string,
  vmid: number | null,
  signal: AbortSignal,
) {
  const raw = await client.call(
    'GET',
    `/nodes/${encodeURIComponent(client.node)}/storage/${encodeURIComponent(storage)}/content`,
    { content: 'backup', ...(vmid !== null ? { vmid } : {}) },
    signal,
  )
  return StorageContent.parse(raw)
    .flatMap((v) => {
      const tag = parseBackupNotes(v.notes)
      return tag
        ? [
            {
              volid: v.volid,
              tag,
              size: v.size ?? 0,
              ctime: v.ctime ?? 0,
              protected: v.protected === true || v.protected === 1,
            },
          ]
        : []
    })
    .sort((a, b) => b.ctime - a.ctime)
}

/** A deployment's backups as the dashboard lists them (only its own, by the notes' tag). */
export async function deploymentBackups(
  client: ProxmoxClient,
  storage: string,
  deploymentId: string,
  signal: AbortSignal,
): Promise<BackupEntry[]> {
  const all = await listArchives(client, storage, null, signal)
  return all
    .filter((a) => a.tag.deploymentId === deploymentId)
    .map((a) => ({
      volid: a.volid,
      createdAt: a.ctime * 1000,
      size: a.size,
      kind: a.tag.kind,
      gameVersion: a.tag.gameVersion,
      protected: a.protected,
    }))
}

/** Delete one of a deployment's backups, after checking it is one (by its notes). */
export async function deleteBackup(
  client: ProxmoxClient,
  storage: string,
  deploymentId: string,
  volid: string,
  signal: AbortSignal,
  timeouts: BackupTimeouts = DEFAULT_BACKUP_TIMEOUTS,
): Promise<void> {
  const own = (await listArchives(client, storage, null, signal)).find((a) => a.volid === volid)
  if (!own || own.tag.deploymentId !== deploymentId) {
    throw new Error(`${volid} is not a backup of this deployment`)
  }
  if (own.protected) throw new Error(`${volid} is protected: unprotect it first`)
  await deleteArchive(client, storage, volid, signal, timeouts)
}

/** Protect or unprotect one of a deployment's backups, after checking it is one (by its notes). */
export async function setProtection(
  client: ProxmoxClient,
  storage: string,
  deploymentId: string,
  volid: string,
  protect: boolean,
  signal: AbortSignal,
): Promise<void> {
  const own = (await listArchives(client, storage, null, signal)).find((a) => a.volid === volid)
  if (!own || own.tag.deploymentId !== deploymentId) {
    throw new Error(`${volid} is not a backup of this deployment`)
  }
  const node = encodeURIComponent(client.node)
  const path = `/nodes/${node}/storage/${encodeURIComponent(storage)}/content/${encodeURIComponent(volid)}`
  await client.call('PUT', path, { protected: protect }, signal)
}

/** Delete an archive the caller checked is this product's (a task on a directory storage). */
export async function deleteArchive(
  client: ProxmoxClient,
  storage: string,
  volid: string,
  signal: AbortSignal,
  timeouts: BackupTimeouts = DEFAULT_BACKUP_TIMEOUTS,
): Promise<void> {
  const node = encodeURIComponent(client.node)
  const path = `/nodes/${node}/storage/${encodeURIComponent(storage)}/content/${encodeURIComponent(volid)}`
  const upid = await client.callTask('DELETE', path, {}, signal)
  if (upid) await client.waitTask(upid, { timeoutMs: timeouts.deleteMs, signal })
}
