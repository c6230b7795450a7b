import { DurableObject } from 'cloudflare:workers'
import { assertNever } from '../../core/assert'
import {
  CLOSE,
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_PING,
  HEARTBEAT_PONG,
  OFFLINE_AFTER_MS,
  parseFrame,
  RunnerToServer,
  type ConnectionCheck,
} from '../../core/protocol'
import type { ProxmoxConnection } from '../../core/settings'
import { buildAssignment, leaseNextJob } from '../lib/jobs'
import { deploymentStub, frame } from '../lib/stubs'
import { reciprocateClose } from '../lib/websocket'
import { LEASE_MS } from './deployment-model'

/** A runner socket's identity, in its attachment so it survives hibernation. */
interface RunnerAttachment {
  runnerId: string
  name: string
  connectedAt: number
  /** Set once `hello` arrived: only then does the runner get jobs. */
  maxJobs: number | null
  version: string | null
  lastMessageAt: number
}

export interface RunnerLiveStatus {
  online: boolean
  connectedAt: number
  lastSeenAt: number
  version: string | null
}

const TEST_TIMEOUT_MS = 60_000

/**
 * The runners' control sockets (hibernation API) and the dispatcher of the job queue in D1.
 * Jobs are pushed the moment they are queued — `dispatch()` is called on every enqueue, on every
 * runner hello and whenever a job ends — never polled.
 */
export class RunnerHub extends DurableObject<Env> {
  private dispatching: Promise<void> | null = null
  private dispatchAgain = false
  private tests = new Map<string, (checks: ConnectionCheck[]) => void>()

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(HEARTBEAT_PING, HEARTBEAT_PONG))
  }

  private sockets(runnerId?: string): WebSocket[] {
    return this.ctx.getWebSockets(runnerId ? `runner:${runnerId}` : 'runner')
  }

  private attachment(ws: WebSocket): RunnerAttachment | null {
    return ws.deserializeAttachment() as RunnerAttachment | null
  }

  private lastSeen(ws: WebSocket, att: RunnerAttachment): number {
    return Math.max(
      att.lastMessageAt,
      this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0,
    )
  }

  /** Online runners that said hello, with their ids. */
  private ready(): { ws: WebSocket; att: RunnerAttachment }[] {
    const now = Date.now()
    const out: { ws: WebSocket; att: RunnerAttachment }[] = []
    for (const ws of this.sockets()) {
      const att = this.attachment(ws)
      // A replaced or closing socket may still be listed until its close completes.
      if (ws.readyState !== WebSocket.OPEN) continue
      if (att?.maxJobs && now - this.lastSeen(ws, att) < OFFLINE_AFTER_MS) out.push({ ws, att })
    }
    return out
  }

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('expected a websocket', { status: 426 })
    }
    const url = new URL(request.url)
    const runnerId = url.searchParams.get('runnerId') ?? ''
    const name = url.searchParams.get('name') ?? runnerId
    // A reconnect of the same runner replaces its stale session.
    for (const old of this.sockets(runnerId))
      old.close(CLOSE.REPLACED, 'replaced by a newer connection')
    const pair = new WebSocketPair()
    const now = Date.now()
    this.ctx.acceptWebSocket(pair[1], ['runner', `runner:${runnerId}`])
    pair[1].serializeAttachment({
      runnerId,
      name,
      connectedAt: now,
      maxJobs: null,
      version: null,
      lastMessageAt: now,
    } satisfies RunnerAttachment)
    return new Response(null, { status: 101, webSocket: pair[0] })
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const att = this.attachment(ws)
    if (!att) return
    const parsed = parseFrame(RunnerToServer, message)
    if (!parsed.ok) {
      console.warn(
        JSON.stringify({
          level: 'warn',
          socket: 'runner-control',
          runner: att.runnerId,
          error: parsed.error,
        }),
      )
      ws.close(CLOSE.BAD_FRAME, parsed.error.slice(0, 120))
      return
    }
    att.lastMessageAt = Date.now()
    const msg = parsed.frame
    switch (msg.type) {
      case 'hello': {
        att.maxJobs = msg.maxJobs
        att.version = msg.version
        ws.serializeAttachment(att)
        await this.env.DB.prepare(
          `update runners set version = ?2, ssh_public_key = ?3, max_jobs = ?4, last_seen_at = ?5 where id = ?1`,
        )
          .bind(att.runnerId, msg.version, msg.sshPublicKey, msg.maxJobs, Date.now())
          .run()
        ws.send(
          frame({
            type: 'welcome',
            runnerId: att.runnerId,
            heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
          }),
        )
        await this.resumeLeased(ws, att, msg.activeJobs)
        await this.dispatch()
        return
      }
      case 'test.result': {
        ws.serializeAttachment(att)
        this.tests.get(msg.requestId)?.(msg.checks)
        return
      }
      default:
        assertNever(msg)
    }
  }

  /** Jobs still leased to a runner that restarted: hand them back so they resume. */
  private async resumeLeased(
    ws: WebSocket,
    att: RunnerAttachment,
    active: string[],
  ): Promise<void> {
    const rows = await this.env.DB.prepare(
      `select id, deployment_id as deploymentId, kind, attempt from jobs where runner_id = ?1 and status = 'leased'`,
    )
      .bind(att.runnerId)
      .all<{ id: string; deploymentId: string; kind: string; attempt: number }>()
    for (const job of rows.results) {
      if (active.includes(job.id)) continue
      await this.assign(ws, att, job)
    }
  }

  private async assign(
    ws: WebSocket,
    att: RunnerAttachment,
    job: { id: string; deploymentId: string; kind: string; attempt: number },
  ): Promise<void> {
    const ok = await deploymentStub(this.env, job.deploymentId).leased(
      job.id,
      att.runnerId,
      job.attempt,
    )
    if (!ok) {
      // The deployment moved on (cancelled meanwhile): the lease is void.
      await this.env.DB.prepare(
        `update jobs set status = 'cancelled' where id = ?1 and status = 'leased'`,
      )
        .bind(job.id)
        .run()
      return
    }
    const assignment = await buildAssignment(this.env, job, LEASE_MS)
    try {
      ws.send(frame({ type: 'job.assign', job: assignment }))
    } catch (err) {
      // The socket died between the lease and the send: back to the queue at once rather than
      // after the lease runs out.
      console.warn(JSON.stringify({ level: 'warn', assign: job.id, error: String(err) }))
      await deploymentStub(this.env, job.deploymentId).leaseLost(job.id, att.runnerId)
    }
  }

  /** Lease queued jobs to online runners with free slots, until one or the other runs out. */
  async dispatch(): Promise<void> {
    if (this.dispatching) {
      // The running round goes once more. Not awaited here: a caller inside that round (a
      // deployment handing a job back) would otherwise wait for itself.
      this.dispatchAgain = true
      return
    }
    this.dispatching = (async () => {
      try {
        do {
          this.dispatchAgain = false
          await this.dispatchOnce()
        } while (this.dispatchAgain)
      } finally {
        this.dispatching = null
      }
    })()
    return this.dispatching
  }

  private async dispatchOnce(): Promise<void> {
    const runners = this.ready()
    if (runners.length === 0) return
    const counts = await this.env.DB.prepare(
      `select runner_id as runnerId, count(*) as n from jobs where status = 'leased' group by runner_id`,
    ).all<{ runnerId: string; n: number }>()
    const busy = new Map(counts.results.map((r) => [r.runnerId, r.n]))
    for (let guard = 0; guard < 1_000; guard++) {
      // The runner with the most free slots takes the next job.
      let best: { ws: WebSocket; att: RunnerAttachment; free: number } | null = null
      for (const r of runners) {
        const free = (r.att.maxJobs ?? 0) - (busy.get(r.att.runnerId) ?? 0)
        if (free > 0 && (!best || free > best.free)) best = { ...r, free }
      }
      if (!best) return
      const job = await leaseNextJob(this.env.DB, best.att.runnerId, LEASE_MS)
      if (!job) return
      busy.set(best.att.runnerId, (busy.get(best.att.runnerId) ?? 0) + 1)
      try {
        await this.assign(best.ws, best.att, job)
      } catch (err) {
        console.error(JSON.stringify({ level: 'error', dispatch: job.id, error: String(err) }))
      }
    }
  }

  /** Tell the runner holding `jobId` to stop it (also sent on the job socket, if open). */
  async cancelJob(jobId: string, runnerId: string): Promise<void> {
    for (const ws of this.sockets(runnerId)) ws.send(frame({ type: 'job.cancel', jobId }))
  }

  /** Close a revoked runner's sockets at once and put its jobs back in the queue. */
  async revoke(runnerId: string): Promise<void> {
    for (const ws of this.sockets(runnerId)) ws.close(CLOSE.REVOKED, 'runner revoked')
    const rows = await this.env.DB.prepare(
      `select deployment_id as deploymentId from jobs where runner_id = ?1 and status = 'leased'`,
    )
      .bind(runnerId)
      .all<{ deploymentId: string }>()
    for (const row of rows.results)
      await deploymentStub(this.env, row.deploymentId).runnerRevoked(runnerId)
  }

  /** Live state of every connected runner, by id. */
  status(): Record<string, RunnerLiveStatus> {
    const now = Date.now()
    const out: Record<string, RunnerLiveStatus> = {}
    for (const ws of this.sockets()) {
      const att = this.attachment(ws)
      if (!att) continue
      const lastSeenAt = this.lastSeen(ws, att)
      out[att.runnerId] = {
        online: now - lastSeenAt < OFFLINE_AFTER_MS,
        connectedAt: att.connectedAt,
        lastSeenAt,
        version: att.version,
      }
    }
    return out
  }

  /** Run "test connection" on an online runner; null when none is online. */
  async testConnection(
    proxmox: ProxmoxConnection,
  ): Promise<{ runnerId: string; name: string; checks: ConnectionCheck[] } | null> {
    const runner = this.ready()[0]
    if (!runner) return null
    const requestId = crypto.randomUUID()
    const checks = await new Promise<ConnectionCheck[]>((resolve) => {
      const timer = setTimeout(() => {
        this.tests.delete(requestId)
        resolve([
          {
            name: 'runner',
            ok: false,
            message: `The runner ${runner.att.name} did not answer within ${TEST_TIMEOUT_MS / 1000} s.`,
            fix: 'Check the runner’s logs (journalctl -u pgd-runner) and its network path to Proxmox.',
          },
        ])
      }, TEST_TIMEOUT_MS)
      this.tests.set(requestId, (result) => {
        clearTimeout(timer)
        this.tests.delete(requestId)
        resolve(result)
      })
      runner.ws.send(frame({ type: 'test.request', requestId, proxmox }))
    })
    return { runnerId: runner.att.runnerId, name: runner.att.name, checks }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    const att = this.attachment(ws)
    if (att) {
      await this.env.DB.prepare('update runners set last_seen_at = ?2 where id = ?1')
        .bind(att.runnerId, this.lastSeen(ws, att))
        .run()
    }
    reciprocateClose(ws, code, reason)
  }
}
