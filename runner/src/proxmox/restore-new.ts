import { deploymentTag, vmNameFor, type VmSpec } from '../../../core/vm-spec'
import { listArchives, restoreFailed } from './backup-steps'
import { errorText, isLostIdRace, ProxmoxTaskError } from './errors'
import { allocateId } from './id-allocator'
import { waitUnlocked, type StepContext } from './vm-common'
import type { VmSteps } from './vm-steps'

/** How long a restore may take: a large disk from a slow storage. */
const RESTORE_MS = 6 * 60 * 60_000
const MAX_ID_RACES = 3

/**
 * Step "clone" of a deployment made from a backup: a fresh VM id, the archive restored to it
 * (new MAC addresses, disks on the deployments' storage, in the pool), then at once named and
 * tagged as this deployment's, so a resumed step finds it and nothing mistakes it for the VM the
 * backup came from. Configure then gives it this deployment's address, keys and size.
 */
export async function allocateAndRestore(
  steps: VmSteps,
  spec: VmSpec,
  from: { volid: string; deploymentId: string },
  ctx: StepContext & { signal: AbortSignal },
): Promise<{ vmid: number }> {
  const client = steps.client
  const conn = client.connection
  const existing = await steps.findVmByDeployment(spec.deploymentId, ctx)
  if (existing) {
    ctx.log(`VM ${existing.vmid} already exists for this deployment; reusing it`)
    await waitUnlocked(client, existing.vmid, RESTORE_MS, ctx)
    return { vmid: existing.vmid }
  }
  const archive = (await listArchives(client, conn.backupStorage, null, ctx.signal)).find(
    (a) => a.volid === from.volid,
  )
  if (!archive || archive.tag.deploymentId !== from.deploymentId) {
    throw new Error(
      `${from.volid} is not a backup of deployment ${from.deploymentId} on ${conn.backupStorage}`,
    )
  }
  const node = encodeURIComponent(client.node)
  for (let round = 0; round < MAX_ID_RACES; round++) {
    const started = await allocateId(client, ctx, async (vmid) => {
      ctx.log(`restoring ${from.volid} to the new VM ${vmid} on ${conn.storage}`)
      return client.callTask(
        'POST',
        `/nodes/${node}/qemu`,
        {
          vmid,
          archive: from.volid,
          storage: conn.storage,
          // The VM the backup came from may still run: its MAC addresses must not come back.
          unique: true,
          pool: conn.pool || undefined,
        },
        ctx.signal,
      )
    })
    if (started.kind !== 'started') {
      ctx.log(`VM id ${started.vmid} could not be used (${started.kind}); picking another id`)
      continue
    }
    const { vmid, upid } = started
    try {
      if (upid) await client.waitTask(upid, { timeoutMs: RESTORE_MS, ...ctx })
    } catch (err) {
      if (isLostIdRace(err, vmid)) {
        ctx.log(`VM id ${vmid} was taken meanwhile; picking another id`)
        continue
      }
      if (err instanceof ProxmoxTaskError) throw restoreFailed(err)
      throw new Error(`the restore failed: ${errorText(err)}`, { cause: err })
    }
    const upidConfig = await client.callTask(
      'POST',
      `/nodes/${node}/qemu/${vmid}/config`,
      {
        name: vmNameFor(spec),
        tags: `pgd;${deploymentTag(spec.deploymentId)}`,
        description: spec.description ?? `Proxmox Game Deployer, deployment ${spec.deploymentId}`,
      },
      ctx.signal,
    )
    if (upidConfig) await client.waitTask(upidConfig, { timeoutMs: 5 * 60_000, ...ctx })
    ctx.log(`VM ${vmid} restored from ${from.volid} and named for this deployment`)
    return { vmid }
  }
  throw new Error(`lost the VM id race ${MAX_ID_RACES} times; giving up`)
}
