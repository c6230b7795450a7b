import { Hono } from 'hono'
import * as z from 'zod'
import { SNAPSHOT_CAP, SnapshotName, type SnapshotEntry } from '../../core/snapshots'
import type { DeploymentStatus } from '../../core/deployment/status'
import type { AppContext, AppEnv } from '../env'
import { hubStub } from '../do/stubs'
import { audit } from '../http/audit'
import { ApiError } from '../http/errors'
import { validate } from '../http/validate'
import { loadProxmoxConnection } from '../settings/proxmox'
import { loadRow } from './deployments'

const NameParam = z.object({ id: z.string(), name: SnapshotName })

/** A snapshot is deleted only while no job works on the VM (a change may be rolling back to it). */
const DELETE_FROM: readonly DeploymentStatus[] = ['ready', 'stopped', 'failed', 'cancelled']

async function connection(c: AppContext) {
  const proxmox = await loadProxmoxConnection(c.env)
  if (!proxmox) throw new ApiError(409, 'not_configured', 'Save the Proxmox connection first.')
  return proxmox
}

/**
 * A deployment's VM snapshots: the ones its changes took (the product keeps the newest
 * SNAPSHOT_CAP of those) and any taken by hand. Read or deleted by a runner, which finds the VM by
 * the deployment's tag (the worker cannot reach Proxmox).
 */
export const snapshotsRoutes = new Hono<AppEnv>()
  .get('/:id/snapshots', async (c) => {
    const row = await loadRow(c, c.req.param('id'))
    const proxmox = await connection(c)
    const answer = await hubStub(c.env).snapshots(proxmox, row.id)
    // Like the backups, a list no runner could read is unknown, with the reason, not an error.
    const body: {
      cap: number
      snapshots: SnapshotEntry[] | null
      unavailable: { code: string; message: string } | null
    } = answer.ok
      ? { cap: SNAPSHOT_CAP, snapshots: answer.snapshots, unavailable: null }
      : {
          cap: SNAPSHOT_CAP,
          snapshots: null,
          unavailable: { code: answer.reason, message: answer.message },
        }
    return c.json(body)
  })
  .delete('/:id/snapshots/:name', validate('param', NameParam), async (c) => {
    const { id, name } = c.req.valid('param')
    const row = await loadRow(c, id)
    if (!DELETE_FROM.includes(row.status))
      throw new ApiError(
        409,
        'invalid_state',
        `Refused: a job is working on this deployment (${row.status.replace(/_/g, ' ')}); delete the snapshot when it has finished.`,
      )
    const proxmox = await connection(c)
    const answer = await hubStub(c.env).snapshots(proxmox, row.id, name)
    if (!answer.ok) throw new ApiError(409, answer.reason, answer.message)
    await audit(c, 'deployment.snapshot_deleted', { target: row.id, details: { name } })
    return c.json({ cap: SNAPSHOT_CAP, snapshots: answer.snapshots })
  })
