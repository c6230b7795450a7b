import { DurableObject } from 'cloudflare:workers'
import {
  transition,
  WATCHED,
  type DeploymentEvent,
  type DeploymentStatus,
} from '../../core/deployment-state'
import {
  CLOSE,
  HEARTBEAT_PING,
  HEARTBEAT_PONG,
  type DeploymentLogLine,
  type DeploymentSpec,
  type JobKind,
  type LastJob,
  type LiveStatus,
  type LogLine,
  type PowerAction,
  type StepView,
  type ServerToDashboard,
} from '../../core/protocol'
import { systemAuditEntry } from '../db/audit-log'
import { getCleanupPolicy } from '../lib/cleanup'
import { batch } from '../db/client'
import { mirrorDeployment, type DeploymentMirror } from '../db/deployments'
import { cancelQueuedJob, closeJob, jobInsert, requeueLeasedJob } from '../db/jobs'
import { liveSessionIds } from '../db/sessions'
import { SESSION_IDLE_MS } from '../http/sessions'
import { encodeDashboardLogs, parseRunnerFrame } from '../../core/protocol'
import { frame, hubStub } from './stubs'
import { reciprocateClose } from '../http/websocket'
import {
  doneDeploySteps,
  freshSteps,
  initialState,
  LEASE_MS,
  MIRROR_RETRY_MS,
  newJob,
  STEP_TIMEOUT_MS,
  type DeploymentState,
  type JobState,
  type SocketAttachment,
} from './deployment-model'
import { LogMirror } from './log-mirror'
import { LogStore } from './log-store'
import { handleRunnerFrame } from './deployment-runner'

/** What of the live status the D1 row (the list) changes with: not the time of the check. */
function liveSummary(live: LiveStatus | null | undefined): unknown {
  if (!live) return null
  const game = live.game
  return [live.power, game?.online ?? null, game?.online ? (game.players ?? null) : null]
}

function powerRefusal(action: PowerAction, status: DeploymentStatus): string {
  const verb = { start: 'starting', stop: 'stopping', restart: 'restarting' }[action]
  if (action === 'start' && status === 'ready') return 'the game is already running'
  if (action !== 'start' && status === 'stopped') return 'the game is already stopped'
  return `${verb} is not allowed while ${status}`
}

/** How often open dashboards' sessions are checked again (signed out → socket closed). */
export const VIEWER_RECHECK_MS = 30_000
/** Close code for a dashboard whose session ended (signed out or expired). */
export const CLOSE_SIGNED_OUT = 4401

export type ActionResult = { ok: true; status: DeploymentStatus } | { ok: false; reason: string }

/**
 * One deployment: its state machine, steps, checkpoints, log and live viewers.
 * A thin shell: `transition()` decides, this persists and then performs the effects. Nothing
 * load-bearing lives in memory; sockets hibernate.
 */
export class DeploymentDO extends DurableObject<Env> {
  readonly logs: LogStore
  readonly mirror: LogMirror
  private viewersCheckedAt = 0
  /** Attachments already read, so a broadcast does not deserialize each one again. */
  private attachments = new WeakMap<WebSocket, SocketAttachment | null>()

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.logs = new LogStore(ctx.storage.sql)
    this.mirror = new LogMirror(this, ctx, env)
    // Heartbeats are answered without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(HEARTBEAT_PING, HEARTBEAT_PONG))
  }

  // ------------------------------------------------------------------ state

  /** The bindings, for the job hooks of deployment-runner.ts (e.g. a built template). */
  get bindings(): Env {
    return this.env
  }

  /** Store without side effects (for frames that change no visible state). */
  storeState(state: DeploymentState): void {
    this.ctx.storage.kv.put('state', state)
  }

  /** Append a job's new lines and advance its acked seq, in one storage transaction. */
  appendLogs(
    state: DeploymentState,
    lines: readonly LogLine[],
  ): { lines: DeploymentLogLine[]; json: string } {
    const job = state.job
    if (!job) return { lines: [], json: '[]' }
    return this.ctx.storage.transactionSync(() => {
      const stored = this.logs.append(job.jobId, lines, this.logs.lastSeq() + 1)
      job.ackedSeq = lines[lines.length - 1]?.seq ?? job.ackedSeq
      this.ctx.storage.kv.put('state', state)
      return stored
    })
  }

  /**
   * A line the dashboard writes itself (not a runner's): it takes the next deployment seq and
   * leaves the job's acked seq alone, so the runner's own numbering is not disturbed.
   */
  async recordLine(state: DeploymentState, jobId: string, text: string): Promise<void> {
    const line = { seq: 1, ts: Date.now(), stream: 'info' as const, text }
    const stored = this.logs.append(jobId, [line], this.logs.lastSeq() + 1)
    this.broadcast(encodeDashboardLogs(stored.json))
    await this.mirror.linesStored(state, stored.lines)
  }

  /**
   * Ask the hub to hand out queued jobs (a slot was freed, a job was queued again). Not awaited:
   * the hub may be calling this object right now, and neither should wait on the other.
   */
  dispatchNext(): void {
    this.ctx.waitUntil(hubStub(this.env).dispatch())
  }

  state(): DeploymentState | null {
    return this.ctx.storage.kv.get<DeploymentState>('state') ?? null
  }

  /** Persist, mirror the row to D1, tell the viewers, and re-arm the alarm. */
  async save(state: DeploymentState, options: { d1?: boolean } = {}): Promise<void> {
    const watched = WATCHED.includes(state.status)
    const watchChanged = watched !== (state.watched ?? false)
    if (watchChanged) {
      state.watched = watched
      // A stale status from before a stop or start must not linger.
      state.live = null
    }
    this.ctx.storage.kv.put('state', state)
    this.broadcast(this.stateFrame(state))
    await this.armAlarm(state)
    if (options.d1 !== false || watchChanged) await this.writeRow(state)
    // The runners' watch lists follow (the row is in D1 by now, which the hub reads).
    if (watchChanged) this.ctx.waitUntil(hubStub(this.env).watchChanged())
  }

  /** Apply a state-machine event; an invalid one is refused and logged, the state unchanged. */
  apply(state: DeploymentState, event: DeploymentEvent): boolean {
    const t = transition(state.status, event)
    if (!t.ok) {
      console.warn(JSON.stringify({ level: 'warn', deployment: state.id, refused: t.reason }))
      return false
    }
    state.status = t.to
    return true
  }

  /** Mirror what the list shows into the D1 row, only when it changed (steps do not). */
  private async writeRow(state: DeploymentState): Promise<void> {
    const row: DeploymentMirror = {
      status: state.status,
      vmid: state.checkpoint.vmid ?? null,
      errorJson: state.error ? JSON.stringify(state.error) : null,
      resultJson: state.result ? JSON.stringify(state.result) : null,
      runnerId: state.job?.runnerId ?? state.lastRunnerId ?? null,
      liveJson: state.live ? JSON.stringify(state.live) : null,
    }
    // The time of the check alone does not make a write: the list shows what changed.
    const signature = JSON.stringify([
      row.status,
      row.vmid,
      row.errorJson,
      row.resultJson,
      row.runnerId,
      liveSummary(state.live),
    ])
    if (signature === state.rowSignature) return
    state.rowSignature = signature
    this.ctx.storage.kv.put('state', state)
    await mirrorDeployment(this.env.DB, state.id, row)
  }

  stateFrame(state: DeploymentState): ServerToDashboard {
    return {
      v: 1,
      type: 'state',
      status: state.status,
      steps: state.steps,
      error: state.error,
      result: state.result,
      vmid: state.checkpoint.vmid ?? null,
      ip: state.spec.ipAddress,
      lastSeq: this.logs.lastSeq(),
      live: state.live ?? null,
      jobKind: state.job?.kind ?? null,
      lastJob: state.lastJob ?? null,
    }
  }

  /**
   * Close the dashboards whose session ended (idle timeout, or deleted some other way), at most
   * every VIEWER_RECHECK_MS: a socket outlives the request that opened it. Sign-out and the
   * absolute expiry need no query (`sessionsEnded`, `broadcast`).
   */
  revalidateViewers(): void {
    const now = Date.now()
    if (now - this.viewersCheckedAt < VIEWER_RECHECK_MS) return
    const viewers = this.ctx.getWebSockets('dashboard')
    if (viewers.length === 0) return
    this.viewersCheckedAt = now
    this.ctx.waitUntil(
      (async () => {
        const ids = new Set<string>()
        for (const ws of viewers) {
          const att = this.attachment(ws)
          if (att?.role === 'dashboard' && att.sessionId) ids.add(att.sessionId)
        }
        const live = await liveSessionIds(this.env.DB, [...ids], now, SESSION_IDLE_MS)
        for (const ws of viewers) {
          const att = this.attachment(ws)
          if (att?.role !== 'dashboard' || (att.sessionId && live.has(att.sessionId))) continue
          try {
            ws.close(CLOSE_SIGNED_OUT, 'signed out')
          } catch {
            // Closing already.
          }
        }
      })().catch((err: unknown) =>
        console.warn(JSON.stringify({ level: 'warn', revalidate: String(err) })),
      ),
    )
  }

  private attachment(ws: WebSocket): SocketAttachment | null {
    let att = this.attachments.get(ws)
    if (att === undefined) {
      att = ws.deserializeAttachment() as SocketAttachment | null
      this.attachments.set(ws, att)
    }
    return att
  }

  /**
   * Send a frame to every dashboard whose session has not ended. Cheap per frame: an expired
   * session's socket is closed instead of sent to (its end is in the attachment); sign-out closes
   * its sockets at once (`sessionsEnded`); idle timeouts are caught by the periodic re-check.
   */
  broadcast(message: ServerToDashboard | string): void {
    this.revalidateViewers()
    const text = typeof message === 'string' ? message : JSON.stringify(message)
    const now = Date.now()
    for (const ws of this.ctx.getWebSockets('dashboard')) {
      const att = this.attachment(ws)
      try {
        if (att?.role === 'dashboard' && att.expiresAt !== undefined && now >= att.expiresAt) {
          ws.close(CLOSE_SIGNED_OUT, 'session expired')
        } else ws.send(text)
      } catch {
        // A socket closing under us: its close handler cleans up.
      }
    }
  }

  /** These sessions ended (signed out, replaced at sign-in): close their sockets now. */
  sessionsEnded(sessionIds: string[]): void {
    const ended = new Set(sessionIds)
    for (const ws of this.ctx.getWebSockets('dashboard')) {
      const att = this.attachment(ws)
      if (att?.role !== 'dashboard' || !att.sessionId || !ended.has(att.sessionId)) continue
      try {
        ws.close(CLOSE_SIGNED_OUT, 'signed out')
      } catch {
        // Closing already.
      }
    }
  }

  // ------------------------------------------------------------------ RPC from the worker and the hub

  /** Create the deployment's state with its first (deploy) job. Idempotent. */
  async init(spec: DeploymentSpec, jobId: string): Promise<void> {
    if (this.state()) return
    await this.save(initialState(spec, jobId), { d1: false })
  }

  /** The hub leased the current job to a runner. */
  async leased(jobId: string, runnerId: string, attempt: number): Promise<boolean> {
    const state = this.state()
    if (!state?.job || state.job.jobId !== jobId) return false
    state.job.runnerId = runnerId
    state.lastRunnerId = runnerId
    state.job.attempt = attempt
    state.job.lastActivityAt = Date.now()
    // On the pickup path: the D1 row learns its runner with the first step, one write later.
    await this.save(state, { d1: false })
    return true
  }

  /** What the API's detail view adds to the D1 row: the timeline and the current job. */
  view(): {
    steps: StepView[]
    job: { id: string; kind: JobKind; attempt: number; runnerId: string | null } | null
    lastSeq: number
    mirroredSeq: number
    live: LiveStatus | null
    lastJob: LastJob | null
  } | null {
    const state = this.state()
    if (!state) return null
    const job = state.job
    return {
      steps: state.steps,
      job: job
        ? { id: job.jobId, kind: job.kind, attempt: job.attempt, runnerId: job.runnerId }
        : null,
      lastSeq: this.logs.lastSeq(),
      mirroredSeq: state.mirroredSeq,
      live: state.live ?? null,
      lastJob: state.lastJob ?? null,
    }
  }

  readLogs(after: number, limit: number) {
    return this.logs.read(after, limit)
  }

  /** Cancel the current job; `by` (the signed-in user) is recorded in the deployment's log. */
  async requestCancel(by: string): Promise<ActionResult> {
    const state = this.state()
    if (!state?.job)
      return { ok: false, reason: `cancelling is not allowed while ${state?.status ?? 'unknown'}` }
    const job = state.job
    let leased = job.runnerId !== null
    if (!leased) {
      // Take it out of the queue; if the hub leased it meanwhile, it must be stopped instead.
      leased = !(await cancelQueuedJob(this.env.DB, job.jobId))
    }
    if (!this.apply(state, { type: 'cancel_requested', leased })) {
      return { ok: false, reason: `cancelling is not allowed while ${state.status}` }
    }
    await this.recordLine(state, job.jobId, `Cancelled by ${by} at ${new Date().toISOString()}.`)
    if (leased) {
      job.cancelRequested = true
      await this.stopOnRunner(job)
    } else {
      state.job = null
    }
    await this.save(state)
    return { ok: true, status: state.status }
  }

  /**
   * Run the failed job again as job `jobId`: a deploy from its failed step, a destroy or a power
   * action from the start. Returns the kind to queue.
   */
  async requestRetry(jobId: string): Promise<ActionResult & { kind?: JobKind }> {
    const state = this.state()
    if (!state || state.status !== 'failed') {
      return {
        ok: false,
        reason: `retrying is only possible after a failure, not while ${state?.status ?? 'unknown'}`,
      }
    }
    const kind = state.failedKind ?? 'deploy'
    if (!this.apply(state, { type: 'retry_requested', kind }))
      return { ok: false, reason: `retrying is not allowed while ${state.status}` }
    state.job = newJob(jobId, kind)
    state.steps = freshSteps(kind, kind === 'deploy' ? doneDeploySteps(state.checkpoint) : [])
    state.error = null
    await this.save(state)
    return { ok: true, status: state.status, kind }
  }

  /** Start, stop or restart the deployed game's VM as job `jobId`. */
  async requestPower(action: PowerAction, jobId: string): Promise<ActionResult> {
    const state = this.state()
    if (!state) return { ok: false, reason: 'unknown deployment' }
    if (!this.apply(state, { type: 'power_requested', action })) {
      return { ok: false, reason: powerRefusal(action, state.status) }
    }
    state.job = newJob(jobId, action)
    state.steps = freshSteps(action)
    state.error = null
    await this.save(state)
    return { ok: true, status: state.status }
  }

  /** A runner's refresh of the live status; ignored unless the deployment is watched. */
  async liveStatus(live: LiveStatus): Promise<void> {
    const state = this.state()
    if (!state || !WATCHED.includes(state.status)) return
    if (state.live && state.live.checkedAt > live.checkedAt) return
    state.live = live
    this.ctx.storage.kv.put('state', state)
    this.broadcast({ v: 1, type: 'live', live })
    await this.writeRow(state)
  }

  /**
   * After a failed deploy: with the cleanup policy "destroy", queue the destroy at once (the
   * failure stays on record). Reads the state again after the policy's D1 read, so a retry or
   * destroy the user asked for meanwhile wins. Returns whether it queued one.
   */
  async cleanupAfterFailure(): Promise<boolean> {
    if ((await getCleanupPolicy(this.env.DB)).onFailure !== 'destroy') return false
    const state = this.state()
    if (!state || state.job || state.status !== 'failed') return false
    if (!this.apply(state, { type: 'destroy_requested' })) return false
    const jobId = crypto.randomUUID()
    state.job = { ...newJob(jobId, 'destroy'), auto: true }
    state.steps = freshSteps('destroy')
    // Saved before the job row exists, so a dispatcher never leases a job this object lacks.
    await this.save(state)
    await batch(this.env.DB, [
      jobInsert(this.env.DB, state.id, jobId, 'destroy'),
      systemAuditEntry(this.env.DB, 'deployment.auto_destroy', {
        target: state.id,
        details: { policy: 'onFailure=destroy', error: state.error?.message ?? null },
      }),
    ])
    return true
  }

  /** Destroy the VM (stop, delete with purge) as job `jobId`. */
  async requestDestroy(jobId: string): Promise<ActionResult> {
    const state = this.state()
    if (!state) return { ok: false, reason: 'unknown deployment' }
    if (state.job?.kind === 'destroy') {
      return { ok: false, reason: 'the VM is already being destroyed' }
    }
    if (!this.apply(state, { type: 'destroy_requested' })) {
      return { ok: false, reason: `destroying is not allowed while ${state.status}` }
    }
    state.job = newJob(jobId, 'destroy')
    state.steps = freshSteps('destroy')
    state.error = null
    await this.save(state)
    return { ok: true, status: state.status }
  }

  /** The hub could not hand the job to the runner it leased it to: queue it again. */
  async leaseLost(jobId: string, runnerId: string): Promise<void> {
    const state = this.state()
    if (state?.job?.jobId === jobId && state.job.runnerId === runnerId) {
      await this.requeue(state, 'the runner was gone before it got the job')
    }
  }

  /** The runner holding the job was revoked: drop its sockets and put the job back in the queue. */
  async runnerRevoked(runnerId: string): Promise<void> {
    for (const ws of this.ctx.getWebSockets('runner')) {
      const att = ws.deserializeAttachment() as SocketAttachment | null
      if (att?.role === 'runner' && att.runnerId === runnerId)
        ws.close(CLOSE.REVOKED, 'runner revoked')
    }
    const state = this.state()
    if (state?.job?.runnerId === runnerId) await this.requeue(state, 'its runner was revoked')
  }

  /** Put the current job back in the queue for any runner (lease lost, runner revoked). */
  async requeue(state: DeploymentState, why: string): Promise<void> {
    const job = state.job
    if (!job) return
    if (job.cancelRequested) {
      // Nobody is left to stop it: the cancel completes here.
      this.apply(state, { type: 'job_cancelled' })
      await this.endJob(state, 'cancelled')
      return
    }
    await requeueLeasedJob(this.env.DB, job.jobId)
    console.warn(
      JSON.stringify({ level: 'warn', deployment: state.id, job: job.jobId, requeued: why }),
    )
    job.runnerId = null
    job.lastActivityAt = Date.now()
    for (const step of state.steps) if (step.status === 'running') step.status = 'pending'
    await this.save(state)
    this.dispatchNext()
  }

  /**
   * End the current job (its status already applied): the viewers hear it first, then the job's
   * D1 row is closed, the cleanup policy runs for a failed deploy, and the freed slot is handed on.
   */
  async endJob(state: DeploymentState, status: 'done' | 'failed' | 'cancelled'): Promise<void> {
    const job = state.job
    if (!job) return
    state.lastJob = {
      kind: job.kind,
      outcome: status === 'done' ? 'succeeded' : status,
      endedAt: Date.now(),
    }
    state.job = null
    await this.save(state)
    await closeJob(this.env.DB, job.jobId, status)
    if (job.kind === 'deploy' && state.status === 'failed') await this.cleanupAfterFailure()
    this.dispatchNext()
  }

  /** Tell the runner to stop the job: on its job socket if open, and on its control socket. */
  private async stopOnRunner(job: JobState): Promise<void> {
    this.sendToRunner(job.jobId, frame({ type: 'job.cancel', jobId: job.jobId }))
    if (job.runnerId) await hubStub(this.env).cancelJob(job.jobId, job.runnerId)
  }

  sendToRunner(jobId: string, text: string): void {
    for (const ws of this.ctx.getWebSockets(`job:${jobId}`)) {
      try {
        ws.send(text)
      } catch {
        // Closed meanwhile; the runner gets the news on its next job.hello.
      }
    }
  }

  // ------------------------------------------------------------------ sockets

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('expected a websocket', { status: 426 })
    }
    const url = new URL(request.url)
    const pair = new WebSocketPair()
    const [client, server] = [pair[0], pair[1]]
    if (url.pathname === '/runner') {
      const runnerId = url.searchParams.get('runnerId') ?? ''
      const jobId = url.searchParams.get('jobId') ?? ''
      // A newer socket for the same job replaces the old one (a reconnect after a network blip).
      for (const old of this.ctx.getWebSockets(`job:${jobId}`))
        old.close(CLOSE.REPLACED, 'replaced by a newer connection')
      this.ctx.acceptWebSocket(server, ['runner', `job:${jobId}`])
      server.serializeAttachment({ role: 'runner', runnerId, jobId } satisfies SocketAttachment)
    } else {
      const after = Math.max(0, Number(url.searchParams.get('after') ?? 0) || 0)
      this.ctx.acceptWebSocket(server, ['dashboard'])
      const expires = Number(url.searchParams.get('expires'))
      server.serializeAttachment({
        role: 'dashboard',
        sessionId: url.searchParams.get('session') ?? undefined,
        expiresAt: Number.isFinite(expires) && expires > 0 ? expires : undefined,
      } satisfies SocketAttachment)
      const state = this.state()
      if (state) server.send(JSON.stringify(this.stateFrame(state)))
      // History first, in order, then live lines follow: all in this one turn, so none slips between.
      for (const lines of this.logs.replay(after)) server.send(encodeDashboardLogs(lines))
    }
    return new Response(null, { status: 101, webSocket: client })
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const att = ws.deserializeAttachment() as SocketAttachment | null
    // Dashboards only listen; whatever they send is dropped.
    if (att?.role !== 'runner') return
    const parsed = parseRunnerFrame(message)
    if (!parsed.ok) {
      console.warn(
        JSON.stringify({
          level: 'warn',
          socket: 'runner-job',
          job: att.jobId,
          error: parsed.error,
        }),
      )
      ws.close(CLOSE.BAD_FRAME, parsed.error.slice(0, 120))
      return
    }
    await handleRunnerFrame(this, ws, att, parsed.frame)
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    reciprocateClose(ws, code, reason)
  }

  // ------------------------------------------------------------------ alarm

  /** One alarm at the earliest deadline: lease expiry, step timeout, mirror retry. */
  async armAlarm(state: DeploymentState): Promise<void> {
    const deadlines: number[] = []
    if (state.job?.runnerId) deadlines.push(state.job.lastActivityAt + LEASE_MS)
    for (const step of state.steps) {
      if (step.status === 'running' && step.startedAt)
        deadlines.push(step.startedAt + STEP_TIMEOUT_MS[step.name])
    }
    if (this.mirror.behind(state)) deadlines.push(Date.now() + MIRROR_RETRY_MS)
    const next = deadlines.length === 0 ? null : Math.min(...deadlines)
    const current = await this.ctx.storage.getAlarm()
    if (next === null) {
      if (current !== null) await this.ctx.storage.deleteAlarm()
      return
    }
    // Every log batch moves the deadlines a little; only an earlier or missing alarm is rewritten.
    if (current === null || next < current) await this.ctx.storage.setAlarm(next)
  }

  override async alarm(): Promise<void> {
    const state = this.state()
    if (!state) return
    if (this.mirror.behind(state)) this.mirror.run()
    const job = state.job
    const now = Date.now()
    if (job?.runnerId) {
      // Pings are answered by auto-response without waking us: count them as activity.
      let last = job.lastActivityAt
      for (const ws of this.ctx.getWebSockets(`job:${job.jobId}`)) {
        last = Math.max(last, this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0)
      }
      if (now - last >= LEASE_MS)
        return this.requeue(state, `no word from runner for ${Math.round((now - last) / 1000)} s`)
      job.lastActivityAt = last
    }
    const overdue = state.steps.find(
      (s) =>
        s.status === 'running' &&
        s.startedAt !== null &&
        now - s.startedAt >= STEP_TIMEOUT_MS[s.name],
    )
    if (overdue && job) {
      const minutes = Math.round(STEP_TIMEOUT_MS[overdue.name] / 60_000)
      overdue.status = 'failed'
      overdue.endedAt = now
      overdue.error = { message: `Step ${overdue.name} did not finish within ${minutes} minutes.` }
      state.error = { step: overdue.name, ...overdue.error }
      await this.stopOnRunner(job)
      state.failedKind = job.kind
      this.apply(state, { type: 'job_failed' })
      await this.endJob(state, 'failed')
      return
    }
    await this.save(state, { d1: false })
  }
}
