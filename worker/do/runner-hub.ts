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
import { WATCHED, type DeploymentStatus } from '../../core/deployment-state'
import type { OrphanVm } from '../../core/deployment-api'
import { getGame } from '../../core/games'
import type { ProductVm } from '../../core/protocol'
import type { ProxmoxConnection } from '../../core/settings'
import { systemAudit } from '../db/audit-log'
import { getCleanupPolicy } from '../lib/cleanup'
import { openInputs } from '../lib/game-secrets'
import { buildAssignment, leaseNextJob, type StoredInputs } from '../lib/jobs'
import { loadProxmoxConnection } from '../settings/proxmox'
import { deploymentStub, frame } from './stubs'
import { reciprocateClose } from '../http/websocket'
import { LEASE_MS } from './deployment-model'
import { assignWatch, findOrphans, type DeploymentOfVm, type WatchedRow } from './hub-watch'

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
/** A destroy of an orphan: shutdown, delete, and the tasks' waits. */
const ORPHAN_DESTROY_TIMEOUT_MS = 5 * 60_000

/**
 * What each runner was given by the last watch round, kept in the hub's storage: the deployments
 * whose status it may report, and whether it may send a sweep. A report outside it is refused.
 */
type WatchAssignments = Record<string, { deploymentIds: string[]; sweeps: boolean }>
const ASSIGNMENTS_KEY = 'watch-assignments'

/** What the last sweep found, kept in the hub's storage. */
interface SweepRecord {
  sweptAt: number
  orphans: OrphanVm[]
}

export type OrphanDestroyResult =
  | { ok: true; message: string }
  | { ok: false; code: 'not_found' | 'no_runner_online' | 'destroy_failed'; message: string }

const DEFAULT_STATUS_INTERVAL_MS = 30_000
/** How long the hub waits after a watched-status change before it sends the watch lists. */
const WATCH_DEBOUNCE_MS = 500
const DEFAULT_SWEEP_INTERVAL_MS = 600_000

/**
 * `run` as a call that never overlaps itself: a call during a round makes the round go once
 * more and returns at once; otherwise it returns the round.
 */
function coalesced(run: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null
  let again = false
  return () => {
    if (running) {
      again = true
      return Promise.resolve()
    }
    running = (async () => {
      try {
        do {
          again = false
          await run()
        } while (again)
      } finally {
        running = null
      }
    })()
    return running
  }
}

function intervalVar(value: string | undefined, fallback: number, min: number): number {
  const n = Number(value)
  return Number.isFinite(n) && n >= min ? Math.round(n) : fallback
}

/**
 * The runners' control sockets (hibernation API) and the dispatcher of the job queue in D1.
 * Jobs are pushed the moment they are queued — `dispatch()` is called on every enqueue, on every
 * runner hello and whenever a job ends — never polled.
 */
export class RunnerHub extends DurableObject<Env> {
  /**
   * Runner requests (test connection, orphan destroy) waiting for their reply, by request id,
   * with the runner asked: a reply from any other runner is ignored.
   */
  private replies = new Map<string, { runnerId: string; resolve: (reply: unknown) => void }>()
  private autoDestroying = false

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
        // Watch lists are balanced over the online runners: a new one changes everyone's.
        await this.refreshWatch()
        return
      }
      case 'test.result': {
        ws.serializeAttachment(att)
        this.reply(att, msg.requestId, msg.checks)
        return
      }
      case 'status.report': {
        ws.serializeAttachment(att)
        // Only the deployments the hub put on this runner's list: a runner key must not be able
        // to write the live status of deployments it was never asked about.
        const mine = new Set((await this.assignments())[att.runnerId]?.deploymentIds)
        const accepted = msg.statuses.filter((s) => mine.has(s.deploymentId))
        if (accepted.length < msg.statuses.length) {
          this.refused(att, 'status.report', 'not on its watch list', {
            deployments: msg.statuses
              .filter((s) => !mine.has(s.deploymentId))
              .map((s) => s.deploymentId)
              .slice(0, 20),
          })
        }
        await Promise.all(
          accepted.map(({ deploymentId, status }) =>
            deploymentStub(this.env, deploymentId).liveStatus(status),
          ),
        )
        return
      }
      case 'sweep.report': {
        ws.serializeAttachment(att)
        if (!(await this.assignments())[att.runnerId]?.sweeps) {
          this.refused(att, 'sweep.report', 'not asked to sweep', { vms: msg.vms.length })
          return
        }
        await this.sweepReported(msg.vms, msg.at)
        return
      }
      case 'vm.destroy.result': {
        ws.serializeAttachment(att)
        this.reply(att, msg.requestId, { ok: msg.ok, message: msg.message })
        return
      }
      default:
        assertNever(msg)
    }
  }

  /**
   * A report outside this runner's assignments: not stored, and logged. The socket stays open, as
   * a report can cross a newer watch list on the wire (the list changed while a round ran); a
   * frame that breaks the protocol itself is what closes it (1008).
   */
  private refused(
    att: RunnerAttachment,
    frame: string,
    reason: string,
    details: Record<string, unknown>,
  ): void {
    console.warn(
      JSON.stringify({
        level: 'warn',
        socket: 'runner-control',
        runner: att.runnerId,
        refused: frame,
        reason,
        ...details,
      }),
    )
  }

  /** Hand a runner's reply to the request waiting for it, if that runner was the one asked. */
  private reply(att: RunnerAttachment, requestId: string, value: unknown): void {
    const waiting = this.replies.get(requestId)
    if (!waiting) return
    if (waiting.runnerId !== att.runnerId) {
      this.refused(att, 'reply', 'the request was sent to another runner', { requestId })
      return
    }
    waiting.resolve(value)
  }

  private async assignments(): Promise<WatchAssignments> {
    return (await this.ctx.storage.get<WatchAssignments>(ASSIGNMENTS_KEY)) ?? {}
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

  /**
   * Lease queued jobs to online runners with free slots, until one or the other runs out. A call
   * during a round makes the round go once more and returns at once: a caller inside that round
   * (a deployment handing a job back) would otherwise wait for itself.
   */
  async dispatch(): Promise<void> {
    return this.dispatchRounds()
  }

  private readonly dispatchRounds = coalesced(() => this.dispatchOnce())

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

  // ------------------------------------------------------------------ live status and the sweep

  /**
   * A deployment entered or left a watched status. The lists are sent a little later, once for a
   * burst (fifty deployments turning ready at once), from the alarm: never on the path of a job.
   */
  async watchChanged(): Promise<void> {
    const at = Date.now() + WATCH_DEBOUNCE_MS
    const current = await this.ctx.storage.getAlarm()
    if (current === null || current > at) await this.ctx.storage.setAlarm(at)
  }

  override async alarm(): Promise<void> {
    await this.refreshWatch()
  }

  /**
   * Send every online runner its watch list: the ready and stopped deployments it refreshes the
   * live status of, and whether it sweeps. Called on hello and from the alarm. Calls during a
   * round make one more round, not one each.
   */
  async refreshWatch(): Promise<void> {
    return this.watchRounds()
  }

  private readonly watchRounds = coalesced(() => this.sendWatchLists())

  private async sendWatchLists(): Promise<void> {
    const runners = this.ready()
    if (runners.length === 0) return
    const proxmox = await loadProxmoxConnection(this.env).catch(() => null)
    if (!proxmox) return
    const before = await this.assignments()
    const rows = await this.env.DB.prepare(
      `select id, vmid, ip, game, inputs_json, runner_id from deployments
       where status in (${WATCHED.map((s) => `'${s}'`).join(', ')}) and vmid is not null
       order by created_at limit 1000`,
    ).all<WatchedRow>()
    const watched = await Promise.all(
      rows.results.map(async (row) => {
        const inputs = JSON.parse(row.inputs_json) as StoredInputs
        // Sealed fields are opened only for games that have some (the check may need them).
        const gameConfig = getGame(row.game)?.sensitiveFields?.length
          ? (await openInputs(this.env, row.game, inputs)).gameConfig
          : inputs.spec.gameConfig
        return {
          runnerId: row.runner_id,
          target: {
            deploymentId: row.id,
            vmid: row.vmid,
            ipAddress: row.ip,
            game: row.game,
            gameConfig,
          },
        }
      }),
    )
    const plan = assignWatch(
      watched,
      runners.map((r) => r.att.runnerId),
    )
    const statusIntervalMs = intervalVar(
      this.env.STATUS_INTERVAL_MS,
      DEFAULT_STATUS_INTERVAL_MS,
      100,
    )
    const sweepIntervalMs = this.sweepIntervalMs()
    const sends: { ws: WebSocket; text: string }[] = []
    const assignments: WatchAssignments = {}
    for (const { ws, att } of runners) {
      const mine = plan.get(att.runnerId)
      if (!mine) continue
      const sweeps = mine.sweeps && sweepIntervalMs > 0
      const busy = mine.targets.length > 0 || sweeps
      if (busy) {
        assignments[att.runnerId] = {
          deploymentIds: mine.targets.map((t) => t.deploymentId),
          sweeps,
        }
      }
      // The token goes only with work that needs it. A runner with nothing to do gets no frame,
      // unless it had work before: then an empty list tells it to stop and drop the token.
      if (!busy && !before[att.runnerId]) continue
      sends.push({
        ws,
        text: frame({
          type: 'watch',
          proxmox: busy ? proxmox : null,
          statusIntervalMs,
          sweepIntervalMs: sweeps ? sweepIntervalMs : 0,
          targets: mine.targets,
        }),
      })
    }
    // Stored before the lists go out, so the first report on a new list is not refused.
    await this.ctx.storage.put(ASSIGNMENTS_KEY, assignments)
    for (const { ws, text } of sends) {
      try {
        ws.send(text)
      } catch {
        // Closing: the next hello sends a fresh list.
      }
    }
  }

  private async sweepRecord(): Promise<SweepRecord | null> {
    return (await this.ctx.storage.get<SweepRecord>('sweep')) ?? null
  }

  /** A sweep's list of this product's VMs: keep the orphans, destroy them if the policy says so. */
  private async sweepReported(vms: ProductVm[], at: number): Promise<void> {
    const ids = [...new Set(vms.flatMap((v) => (v.deploymentId ? [v.deploymentId] : [])))]
    const deployments = new Map<string, DeploymentOfVm>()
    // json_each: one query for any number of ids.
    const rows = await this.env.DB.prepare(
      `select id, name, status, vmid from deployments
       where lower(id) in (select lower(value) from json_each(?1))`,
    )
      .bind(JSON.stringify(ids))
      .all<{ id: string; name: string; status: DeploymentStatus; vmid: number | null }>()
    for (const r of rows.results) deployments.set(r.id.toLowerCase(), r)
    const previous = new Map((await this.sweepRecord())?.orphans.map((o) => [o.vmid, o]) ?? [])
    const orphans = findOrphans(vms, deployments, previous, at)
    await this.ctx.storage.put('sweep', { sweptAt: at, orphans } satisfies SweepRecord)
    const fresh = orphans.filter((o) => !previous.has(o.vmid))
    if (fresh.length > 0) {
      await systemAudit(this.env.DB, 'orphans.found', {
        details: { vms: fresh.map((o) => ({ vmid: o.vmid, reason: o.reason })) },
      })
    }
    if (
      orphans.length > 0 &&
      !this.autoDestroying &&
      (await getCleanupPolicy(this.env.DB)).orphans === 'destroy'
    ) {
      this.autoDestroying = true
      // Not awaited: the runner answers on this very socket, which this handler must not block.
      this.ctx.waitUntil(
        (async () => {
          try {
            for (const o of orphans) {
              const result = await this.destroyOrphan(o.vmid)
              await systemAudit(this.env.DB, 'orphan.auto_destroyed', {
                target: String(o.vmid),
                details: { policy: 'orphans=destroy', reason: o.reason, ...result },
              })
            }
          } finally {
            this.autoDestroying = false
          }
        })(),
      )
    }
  }

  /** What the last sweep found. */
  async orphans(): Promise<{
    orphans: OrphanVm[]
    sweptAt: number | null
    /** How often a runner sweeps (0: never). */
    sweepIntervalMs: number
  }> {
    const record = await this.sweepRecord()
    return {
      orphans: record?.orphans ?? [],
      sweptAt: record?.sweptAt ?? null,
      sweepIntervalMs: this.sweepIntervalMs(),
    }
  }

  /** `SWEEP_INTERVAL_MS`, or the default when unset or not a number ≥ 0. */
  private sweepIntervalMs(): number {
    return intervalVar(this.env.SWEEP_INTERVAL_MS, DEFAULT_SWEEP_INTERVAL_MS, 0)
  }

  /** Destroy an orphan the last sweep reported, on an online runner. */
  async destroyOrphan(vmid: number): Promise<OrphanDestroyResult> {
    const record = await this.sweepRecord()
    const orphan = record?.orphans.find((o) => o.vmid === vmid)
    if (!record || !orphan) {
      return {
        ok: false,
        code: 'not_found',
        message: `VM ${vmid} is not in the list of orphaned VMs (any more).`,
      }
    }
    const runner = this.ready().sort((a, b) => a.att.runnerId.localeCompare(b.att.runnerId))[0]
    const proxmox = await loadProxmoxConnection(this.env).catch(() => null)
    if (!runner || !proxmox) {
      return {
        ok: false,
        code: 'no_runner_online',
        message: 'No runner is online to destroy it: start one (Runners).',
      }
    }
    const result = await this.ask<{ ok: boolean; message: string }>(
      runner.ws,
      (requestId) =>
        frame({ type: 'vm.destroy', requestId, proxmox, vmid, deploymentId: orphan.deploymentId }),
      ORPHAN_DESTROY_TIMEOUT_MS,
      () => ({
        ok: false,
        message: `The runner ${runner.att.name} did not answer within ${ORPHAN_DESTROY_TIMEOUT_MS / 60_000} minutes.`,
      }),
    ).catch((err: unknown) => ({ ok: false, message: `runner gone: ${String(err)}` }))
    if (!result.ok) return { ok: false, code: 'destroy_failed', message: result.message }
    const now = await this.sweepRecord()
    if (now) {
      now.orphans = now.orphans.filter((o) => o.vmid !== vmid)
      await this.ctx.storage.put('sweep', now)
    }
    return { ok: true, message: result.message }
  }

  /**
   * Close a revoked runner's sockets at once, put its jobs back in the queue and its watch list
   * on the other runners.
   */
  async revoke(runnerId: string): Promise<void> {
    for (const ws of this.sockets(runnerId)) ws.close(CLOSE.REVOKED, 'runner revoked')
    const assignments = await this.assignments()
    if (assignments[runnerId]) {
      delete assignments[runnerId]
      await this.ctx.storage.put(ASSIGNMENTS_KEY, assignments)
      await this.watchChanged()
    }
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
    const checks = await this.ask<ConnectionCheck[]>(
      runner.ws,
      (requestId) => frame({ type: 'test.request', requestId, proxmox }),
      TEST_TIMEOUT_MS,
      () => [
        {
          name: 'runner',
          ok: false,
          message: `The runner ${runner.att.name} did not answer within ${TEST_TIMEOUT_MS / 1000} s.`,
          fix: 'Check the runner’s logs (journalctl -u pgd-runner) and its network path to Proxmox.',
        },
      ],
    )
    return { runnerId: runner.att.runnerId, name: runner.att.name, checks }
  }

  /**
   * Send a runner a request (`build` gets its id) and wait for the reply with that id, or
   * `onTimeout()` after `timeoutMs`. Rejects if the send itself fails.
   */
  private ask<T>(
    ws: WebSocket,
    build: (requestId: string) => string,
    timeoutMs: number,
    onTimeout: () => T,
  ): Promise<T> {
    const requestId = crypto.randomUUID()
    const runnerId = this.attachment(ws)?.runnerId ?? ''
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replies.delete(requestId)
        resolve(onTimeout())
      }, timeoutMs)
      this.replies.set(requestId, {
        runnerId,
        resolve: (reply) => {
          clearTimeout(timer)
          this.replies.delete(requestId)
          resolve(reply as T)
        },
      })
      try {
        ws.send(build(requestId))
      } catch (err) {
        clearTimeout(timer)
        this.replies.delete(requestId)
        reject(err instanceof Error ? err : new Error(String(err)))
      }
    })
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
