import * as z from 'zod'
import type { NodeCapacity } from '../../../core/protocol'
import type { ProxmoxClient } from './client'

/**
 * What the node and the storage new VMs go on have free, for the new-deployment form and the
 * worker's refusal of a VM that cannot fit. Proxmox's own figures: the node's memory
 * (`GET /nodes/{node}/status`) and the storage's (`GET /nodes/{node}/storage/{storage}/status`,
 * which needs Datastore.Audit or Datastore.AllocateSpace on it; the node's needs Sys.Audit).
 */

const NodeStatus = z.object({
  memory: z.object({ free: z.number().int(), total: z.number().int() }),
})
const StorageStatus = z.object({
  active: z.union([z.boolean(), z.number()]).optional(),
  avail: z.number().int().optional(),
  total: z.number().int().optional(),
})

export async function readCapacity(
  client: ProxmoxClient,
  storage: string,
  signal?: AbortSignal,
): Promise<NodeCapacity> {
  const node = encodeURIComponent(client.node)
  const [status, store] = await Promise.all([
    client.call('GET', `/nodes/${node}/status`, {}, signal),
    client.call('GET', `/nodes/${node}/storage/${encodeURIComponent(storage)}/status`, {}, signal),
  ])
  const memory = NodeStatus.parse(status).memory
  const disk = StorageStatus.parse(store)
  if (disk.active === false || disk.active === 0 || disk.avail === undefined) {
    throw new Error(
      `storage ${storage} on node ${client.node} is not active: it reports no free space`,
    )
  }
  return {
    node: client.node,
    memory: { free: Math.max(0, memory.free), total: Math.max(0, memory.total) },
    storage: { id: storage, avail: Math.max(0, disk.avail), total: Math.max(0, disk.total ?? 0) },
  }
}
