import { Hono } from 'hono'
import * as z from 'zod'
import {
  SNAPSHOT_CAP,
  SnapshotName,
  type SnapshotChange,
  type SnapshotEntry,
  type SnapshotView,
} from '../../core/snapshots'
import { auditOfTarget } from '../db/audit-log'
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
 * The snapshots with the change each came before, from the audit rows of the deployment's
 * changes (what they moved, as data, so the dashboard words it in the admin's language). A
 * retried change moves what the change before it tried; a snapshot taken by hand has none.
 */
async function withChanges(
  c: AppContext,
  deploymentId: string,
  snapshots: SnapshotEntry[],
): Promise<SnapshotView[]> {
  const rows = await auditOfTarget(c.env.DB, deploymentId, [
    'deployment.change_requested',
    'deployment.retry_requested',
  ])
  const bySnapshot = new Map<string, SnapshotChange[]>()
  let last: SnapshotChange[] | null = null
  for (const row of rows) {
    const details = (row.details ?? {}) as { snapshot?: unknown; changes?: unknown }
    if (Array.isArray(details.changes)) last = details.changes as SnapshotChange[]
    if (typeof details.snapshot === 'string' && last) bySnapshot.set(details.snapshot, last)
  }
  return snapshots.map((x) => ({ ...x, changes: bySnapshot.get(x.name) ?? null }))
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
      snapshots: SnapshotView[] | null
      unavailable: { code: string; message: string } | null
    } = answer.ok
      ? {
          cap: SNAPSHOT_CAP,
          snapshots: await withChanges(c, row.id, answer.snapshots),
          unavailable: null,
        }
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
    return c.json({ cap: SNAPSHOT_CAP, snapshots: await withChanges(c, row.id, answer.snapshots) })
  })
