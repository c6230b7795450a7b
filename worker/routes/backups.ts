import { Hono } from 'hono'
import * as z from 'zod'
import { BackupVolid, type BackupEntry } from '../../core/backups'
import type { AppContext, AppEnv } from '../env'
import { deploymentStub, hubStub } from '../do/stubs'
import type { BackupsAnswer } from '../do/hub/requests'
import { audit } from '../http/audit'
import { ApiError } from '../http/errors'
import { validate } from '../http/validate'
import { loadProxmoxConnection } from '../settings/proxmox'
import { CreateDeployment } from '../../core/deployment-api'
import { getGame } from '../../core/games'
import { TEMPLATE_GAME } from '../../core/template'
import { storedInputs } from '../db/deployments'
import { createDeploymentRecord } from '../lib/create-deployment'
import { enqueue } from '../lib/enqueue'
import { openInputs } from '../lib/game-secrets'
import { loadRow, refused, rowView } from './deployments'

const DeleteQuery = z.object({ volid: BackupVolid })
const ProtectBody = z.object({ volid: BackupVolid, protected: z.boolean() })
const RestoreNewBody = z.object({ volid: BackupVolid, name: CreateDeployment.shape.name })
const RestoreBody = z.object({ volid: BackupVolid })

/**
 * A delete's answer: the list after it, or a 409 in the runner's (or Proxmox's) words: no runner
 * online, the archive protected or not this deployment's.
 */
function listOrFail(answer: BackupsAnswer) {
  if (answer.ok) return answer.backups
  throw new ApiError(409, answer.reason, answer.message)
}

function onBackupStorage(volid: string, storage: string): void {
  if (!volid.startsWith(`${storage}:`))
    throw new ApiError(400, 'invalid_volume', `${volid} is not on the backup storage.`)
}

async function connection(c: AppContext) {
  const proxmox = await loadProxmoxConnection(c.env)
  if (!proxmox) throw new ApiError(409, 'not_configured', 'Save the Proxmox connection first.')
  return proxmox
}

/**
 * A deployment's backups: vzdump archives on the backup storage (Settings), made by a backup job
 * and read or deleted by a runner (the worker cannot reach Proxmox). Only archives whose notes
 * name the deployment are listed or deleted.
 */
export const backupsRoutes = new Hono<AppEnv>()
  /** Back up now: a job like a deploy's, refused unless the deployment is ready or stopped. */
  .post('/:id/backups', async (c) => {
    const row = await loadRow(c, c.req.param('id'))
    const jobId = crypto.randomUUID()
    refused(await deploymentStub(c.env, row.id).requestBackup(jobId))
    await enqueue(c, row.id, jobId, 'backup', 'deployment.backup_requested')
    return c.json({ deployment: rowView(await loadRow(c, row.id)) }, 202)
  })
  /**
   * Restore in place: a job that makes a safety backup of the current state, stops the VM,
   * restores the archive over it, starts it and checks the game. The runner refuses an archive
   * whose notes do not name this deployment.
   */
  .post('/:id/restore', validate('json', RestoreBody), async (c) => {
    const row = await loadRow(c, c.req.param('id'))
    const { volid } = c.req.valid('json')
    const proxmox = await connection(c)
    onBackupStorage(volid, proxmox.backupStorage)
    const jobId = crypto.randomUUID()
    refused(await deploymentStub(c.env, row.id).requestRestore(jobId, volid))
    await enqueue(c, row.id, jobId, 'restore', 'deployment.restore_requested', { volid })
    return c.json({ deployment: rowView(await loadRow(c, row.id)) }, 202)
  })
  /**
   * Restore into a new deployment: same game, config, secrets and size as the deployment the
   * backup came from (which may be destroyed), a new VM and an address from the pool, its own
   * name. Its first job restores the archive instead of cloning the template, then configures,
   * starts and checks it like any deploy.
   */
  .post('/:id/backups/restore-new', validate('json', RestoreNewBody), async (c) => {
    const source = await loadRow(c, c.req.param('id'))
    const { volid, name } = c.req.valid('json')
    const proxmox = await connection(c)
    onBackupStorage(volid, proxmox.backupStorage)
    const game = getGame(source.game)
    if (!game || source.game === TEMPLATE_GAME)
      throw new ApiError(409, 'invalid_state', 'Only a game server’s backups can be restored.')
    const inputs = storedInputs(source)
    const { gameConfig, gameSecrets } = await openInputs(c.env, source.game, inputs)
    const { spec } = inputs
    const row = await createDeploymentRecord(c, {
      name,
      game,
      config: gameConfig,
      secrets: gameSecrets,
      sizing: { cores: spec.cores, memoryMb: spec.memoryMiB, diskGb: spec.diskGiB },
      network: { mode: 'pool' },
      sshPublicKeys: spec.sshPublicKeys,
      restoreFrom: { volid, deploymentId: source.id },
      audit: {
        action: 'deployment.restored_new',
        details: { name, game: game.id, from: source.id, volid },
      },
    })
    return c.json({ deployment: rowView(row) }, 201)
  })
  .get('/:id/backups', async (c) => {
    const row = await loadRow(c, c.req.param('id'))
    const proxmox = await connection(c)
    const answer = await hubStub(c.env).backups(proxmox, row.id)
    // Like the capacity, a list no runner could read is unknown, with the reason, not an error.
    const body: {
      storage: string
      backups: BackupEntry[] | null
      unavailable: { code: string; message: string } | null
    } = answer.ok
      ? { storage: proxmox.backupStorage, backups: answer.backups, unavailable: null }
      : {
          storage: proxmox.backupStorage,
          backups: null,
          unavailable: { code: answer.reason, message: answer.message },
        }
    return c.json(body)
  })
  /**
   * Protect a backup (Proxmox then refuses to delete it: by hand, by retention, by a destroy) or
   * unprotect it.
   */
  .put('/:id/backups/protection', validate('json', ProtectBody), async (c) => {
    const row = await loadRow(c, c.req.param('id'))
    const { volid, protected: on } = c.req.valid('json')
    const proxmox = await connection(c)
    onBackupStorage(volid, proxmox.backupStorage)
    const answer = await hubStub(c.env).backups(proxmox, row.id, {
      protect: { volid, protected: on },
    })
    const backups = listOrFail(answer)
    const action = on ? 'deployment.backup_protected' : 'deployment.backup_unprotected'
    await audit(c, action, { target: row.id, details: { volid } })
    return c.json({ storage: proxmox.backupStorage, backups })
  })
  .delete('/:id/backups', validate('query', DeleteQuery), async (c) => {
    const row = await loadRow(c, c.req.param('id'))
    const { volid } = c.req.valid('query')
    const proxmox = await connection(c)
    onBackupStorage(volid, proxmox.backupStorage)
    const answer = await hubStub(c.env).backups(proxmox, row.id, { delete: volid })
    const backups = listOrFail(answer)
    await audit(c, 'deployment.backup_deleted', { target: row.id, details: { volid } })
    return c.json({ storage: proxmox.backupStorage, backups })
  })
