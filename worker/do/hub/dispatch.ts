import type { JobAssignment } from '../../../core/protocol'
import {
  jobsLeasedTo,
  leasedCounts,
  leaseNextJob,
  voidLease,
  type LeasedJob,
  type ReadCount,
} from '../../db/jobs'
import { buildAssignment } from '../../lib/jobs'
import { LEASE_MS } from '../../../core/deployment'
import { deploymentStub } from '../stubs'
import { encodeHubToRunner } from '../../../core/protocol'
import type { ReadyRunner, RunnerSockets } from './sockets'
import { coalesced } from './timing'

/**
 * The job leased to `runnerId`, as the runner gets it; null when the deployment moved on
 * meanwhile (cancelled), which voids the lease.
 */
async function assignmentFor(
  env: Env,
  job: LeasedJob,
  runnerId: string,
): Promise<JobAssignment | null> {
  const inputs = await deploymentStub(env, job.deploymentId).leased(job.id, runnerId, job.attempt)
  if (!inputs) return null
  return buildAssignment(env, job, inputs, LEASE_MS)
}

/**
 * The dispatcher of the job queue in D1. Jobs are pushed the moment they are queued — `dispatch()`
 * is called on every enqueue, on every runner hello and whenever a job ends — never polled.
 */
export class Dispatcher {
  constructor(
    private readonly env: Env,
    private readonly sockets: RunnerSockets,
  ) {}

  /**
   * Lease queued jobs to online runners with free slots, until one or the other runs out. A call
   * during a round makes the round go once more and returns at once: a caller inside that round
   * (a deployment handing a job back) would otherwise wait for itself.
   */
  readonly dispatch = coalesced(() => this.measured())

  /**
   * What dispatching has cost since the last job was leased: the rounds (some lease nothing: a
   * job ended with the queue empty), their time in this object (D1 and the deployments' objects
   * included) and the D1 rows they read. Logged with each round that leases, so the cost per job
   * can be followed as the fleet grows; it must not grow with the number of deployments.
   */
  private cost = { rounds: 0, ms: 0, rowsRead: 0 }

  private async measured(): Promise<void> {
    const started = Date.now()
    const reads: ReadCount = { rowsRead: 0 }
    const leased = await this.dispatchOnce(reads)
    this.cost.rounds++
    this.cost.ms += Date.now() - started
    this.cost.rowsRead += reads.rowsRead
    if (leased === 0) return
    console.log(JSON.stringify({ level: 'info', dispatch: { leased, ...this.cost } }))
    this.cost = { rounds: 0, ms: 0, rowsRead: 0 }
  }

  /** One round; returns how many jobs it leased. */
  private async dispatchOnce(reads: ReadCount): Promise<number> {
    const runners = this.sockets.ready()
    if (runners.length === 0) return 0
    const busy = await leasedCounts(this.env.DB, reads)
    let leased = 0
    for (let guard = 0; guard < 1_000; guard++) {
      // The runner with the most free slots takes the next job.
      let best: (ReadyRunner & { free: number }) | null = null
      for (const r of runners) {
        const free = r.att.hello.maxJobs - (busy.get(r.att.runnerId) ?? 0)
        if (free > 0 && (!best || free > best.free)) best = { ...r, free }
      }
      if (!best) return leased
      const job = await leaseNextJob(this.env.DB, best.att.runnerId, reads)
      if (!job) return leased
      leased++
      busy.set(best.att.runnerId, (busy.get(best.att.runnerId) ?? 0) + 1)
      try {
        await this.assign(best.ws, best.att.runnerId, job)
      } catch (err) {
        console.error(JSON.stringify({ level: 'error', dispatch: job.id, error: String(err) }))
      }
    }
    return leased
  }

  /** Jobs still leased to a runner that restarted: hand them back so they resume. */
  async resumeLeased(ws: WebSocket, runnerId: string, active: readonly string[]): Promise<void> {
    for (const job of await jobsLeasedTo(this.env.DB, runnerId)) {
      if (active.includes(job.id)) continue
      await this.assign(ws, runnerId, job)
    }
  }

  private async assign(ws: WebSocket, runnerId: string, job: LeasedJob): Promise<void> {
    const assignment = await assignmentFor(this.env, job, runnerId)
    if (!assignment) {
      await voidLease(this.env.DB, job.id)
      return
    }
    try {
      ws.send(encodeHubToRunner({ type: 'job.assign', job: assignment }))
    } catch (err) {
      // The socket died between the lease and the send: back to the queue at once rather than
      // after the lease runs out.
      console.warn(JSON.stringify({ level: 'warn', assign: job.id, error: String(err) }))
      await deploymentStub(this.env, job.deploymentId).leaseLost(job.id, runnerId)
    }
  }

  /** Tell the runner holding `jobId` to stop it (also sent on the job socket, if open). */
  cancelJob(jobId: string, runnerId: string): void {
    for (const ws of this.sockets.of(runnerId))
      ws.send(encodeHubToRunner({ type: 'job.cancel', jobId }))
  }
}
