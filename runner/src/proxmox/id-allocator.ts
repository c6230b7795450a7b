import type { ProxmoxClient } from './client'
import { ProxmoxApiError, isAnswerLost, isLostIdRace } from './errors'
import type { StepContext } from './vm-common'
import { Mutex, Semaphore } from './wait'

/**
 * "Next id + clone" as one critical section per cluster (docs/proxmox-api.md#nextid-race).
 *
 * `GET /cluster/nextid` reserves nothing, and the clone POST returns its UPID before the worker
 * writes the temporary config that makes the id "taken". So within this process the calls are
 * serialised behind one mutex per cluster, and ids handed out recently are remembered and
 * skipped (`nextid?vmid=` asserts a candidate is free). Other clients (another runner, a human
 * in the GUI) can still take the id: the caller then retries with a fresh one.
 */

/** How long a handed-out id is considered ours even if the cluster does not list it yet. */
const RECENT_ID_TTL_MS = 10 * 60_000
/** Bound on `nextid?vmid=` probes past recently used ids. */
const MAX_PROBES = 200

interface ClusterIds {
  mutex: Mutex
  recent: Map<number, number>
}

const clusters = new Map<string, ClusterIds>()
const cloneSlots = new Map<string, Semaphore>()

/**
 * Run one clone (id, POST, task wait) in one of `max` slots per cluster and target storage:
 * parallel full clones onto one non-shared storage fail on its storage lock
 * (docs/proxmox-api.md#parallel-clones).
 */
export function withCloneSlot<T>(
  client: ProxmoxClient,
  max: number,
  signal: AbortSignal | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  const key = `${client.connection.apiUrl} ${client.connection.storage}`
  let sem = cloneSlots.get(key)
  if (!sem || sem.size !== max) {
    sem = new Semaphore(max)
    cloneSlots.set(key, sem)
  }
  return sem.run(fn, signal)
}

function clusterOf(client: ProxmoxClient): ClusterIds {
  const key = client.connection.apiUrl
  let c = clusters.get(key)
  if (!c) {
    c = { mutex: new Mutex(), recent: new Map() }
    clusters.set(key, c)
  }
  return c
}

export type CloneStart =
  | { kind: 'started'; vmid: number; upid: string | null }
  /** The id was taken between nextid and the clone's synchronous checks. */
  | { kind: 'lost'; vmid: number }
  /**
   * A 59x or a lost connection on the POST: whether the clone started is unknown
   * (docs/proxmox-api.md#proxy-errors).
   */
  | { kind: 'unknown'; vmid: number }

/**
 * Pick a free VM id and run `startClone(id)` (the clone POST) under the cluster's mutex.
 * Returns once the POST has answered; waiting for the clone task is the caller's job.
 */
export function allocateId(
  client: ProxmoxClient,
  ctx: StepContext,
  startClone: (vmid: number) => Promise<string | null>,
): Promise<CloneStart> {
  const cluster = clusterOf(client)
  return cluster.mutex.run(async () => {
    const now = Date.now()
    for (const [id, expires] of cluster.recent) if (expires < now) cluster.recent.delete(id)
    let vmid = await client.nextId(undefined, ctx.signal)
    for (let probes = 0; cluster.recent.has(vmid); probes++) {
      if (probes >= MAX_PROBES) throw new Error(`no free VM id found after ${MAX_PROBES} probes`)
      vmid = await probeFree(client, vmid + 1, ctx)
    }
    // Remember it whatever happens next: a failed clone may still have taken it for a while.
    cluster.recent.set(vmid, now + RECENT_ID_TTL_MS)
    ctx.log(`allocated VM id ${vmid}`)
    try {
      return { kind: 'started', vmid, upid: await startClone(vmid) }
    } catch (err) {
      if (isLostIdRace(err, vmid)) return { kind: 'lost', vmid }
      if (isAnswerLost(err)) return { kind: 'unknown', vmid }
      throw err
    }
  })
}

/** The first id ≥ `from` that `nextid?vmid=` accepts (400 `VM n already exists` otherwise). */
async function probeFree(client: ProxmoxClient, from: number, ctx: StepContext): Promise<number> {
  for (let id = from; id < from + MAX_PROBES; id++) {
    if (clusterOf(client).recent.has(id)) continue
    try {
      return await client.nextId(id, ctx.signal)
    } catch (err) {
      if (!(err instanceof ProxmoxApiError && err.status === 400)) throw err
    }
  }
  throw new Error(`no free VM id in ${from}…${from + MAX_PROBES - 1}`)
}
