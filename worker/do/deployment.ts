import { DurableObject } from 'cloudflare:workers'
import {
  initialState,
  LEASE_MS,
  reduce,
  scheduleDeadline,
  STEP_TIMEOUT_MS,
  type DeploymentEffect,
  type DeploymentInput,
  type DeploymentState,
  type DeploymentStatus,
} from '../../core/deployment'
import {
  CLOSE,
  encodeDashboardLogs,
  encodeDeploymentToRunner,
  encodeToDashboard,
  HEARTBEAT_PING,
  HEARTBEAT_PONG,
  parseRunnerFrame,
  type DeploymentSpec,
  type JobKind,
  type LiveStatus,
  type PowerAction,
} from '../../core/protocol'
import { mirrorDeployment } from '../db/deployments'
import { cancelQueuedJob } from '../db/jobs'
import { reciprocateClose } from '../http/websocket'
import { getCleanupPolicy } from '../lib/cleanup'
import { LogMirror } from './log-mirror'
import { LogStore } from './log-store'
import { hubStub } from './stubs'
import { outsideEffect } from './deployment-effects'
import { detailView, rowOf, stateFrame, type DetailView } from './deployment-views'
import { leasedInputs, type LeasedJobInputs } from './leased-inputs'
import { Viewers, type SocketAttachment } from './viewers'
import { raiseLifecycleAlert } from '../alerts/lifecycle'
import { MAX_SCHEDULES, type Schedule, type ScheduleState } from '../../core/schedules'

/**
 * A minute's length for every-N-hours schedules: 60 s, unless SCHEDULE_MINUTE_MS (a test's
 * config) shortens it.
 */
function scheduleMinuteMs(env: Env): number {
  const raw = Number(env.SCHEDULE_MINUTE_MS)
  return Number.isFinite(raw) && raw >= 10 ? raw : 60_000
}

/** How soon a failed D1 log mirror is tried again. */
export const MIRROR_RETRY_MS = 5_000

export type ActionResult = { ok: true; status: DeploymentStatus } | { ok: false; reason: string }

/**
 * One deployment: a thin shell around the reducer (core/deployment). RPC calls, job-socket frames
 * and the alarm become inputs; `reduce()` decides; this persists and runs the effects, in order.
 * Nothing load-bearing lives in memory; sockets hibernate.
 */
export class DeploymentDO extends DurableObject<Env> {
  readonly logs: LogStore
  readonly mirror: LogMirror
  private readonly viewers: Viewers

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.logs = new LogStore(ctx.storage.sql)
    this.mirror = this.createMirror(ctx, env)
    this.viewers = new Viewers(ctx, env)
    // Heartbeats are answered without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(HEARTBEAT_PING, HEARTBEAT_PONG))
  }

  /** How the log reaches D1 (the bench swaps in its naive baseline here). */
  protected createMirror(ctx: DurableObjectState, env: Env): LogMirror {
    return new LogMirror(this, ctx, env)
  }

  state(): DeploymentState | null {
    return this.ctx.storage.kv.get<DeploymentState>('state') ?? null
  }

  /** Store without side effects (the log mirror's watermark). */
  storeState(state: DeploymentState): void {
    this.ctx.storage.kv.put('state', state)
  }

  // ------------------------------------------------------------------ the reducer's loop

  /**
   * Reduce `input` against the stored state and run the effects: the new state, or why the input
   * was refused (nothing changed).
   */
  private async run(
    input: DeploymentInput,
    ws?: WebSocket,
  ): Promise<{ state: DeploymentState } | { refused: string }> {
    const before = this.state()
    if (!before) return { refused: 'unknown deployment' }
    const { state, effects, refused } = reduce(before, input)
    if (refused !== undefined) return { refused }
    await this.perform(state, effects, ws)
    raiseLifecycleAlert(this.env, this.ctx, before, state)
    return { state }
  }

  /** The same, for the admin's requests: the new status, or why it was refused. */
  private async request(input: DeploymentInput): Promise<ActionResult & { kind?: JobKind }> {
    const out = await this.run(input)
    if ('refused' in out) return { ok: false, reason: out.refused }
    return { ok: true, status: out.state.status, kind: out.state.job?.kind }
  }

  private async perform(
    state: DeploymentState,
    effects: readonly DeploymentEffect[],
    ws?: WebSocket,
  ): Promise<void> {
    for (const effect of effects) await this.effect(state, effect, ws)
  }

  private async effect(state: DeploymentState, fx: DeploymentEffect, ws?: WebSocket) {
    const db = this.env.DB
    switch (fx.type) {
      case 'store':
        return this.storeState(state)
      case 'save':
        this.storeState(state)
        this.viewers.broadcast(encodeToDashboard(stateFrame(state, this.logs.lastSeq())))
        await this.armAlarm(state)
        if (fx.row) await this.writeRow(state)
        // The runners' watch lists follow (the row is in D1 by now, which the hub reads).
        if (fx.watchChanged) this.ctx.waitUntil(hubStub(this.env).watchChanged())
        return
      case 'save_live':
        this.storeState(state)
        this.viewers.broadcast(encodeToDashboard({ type: 'live', live: fx.live }))
        return this.writeRow(state)
      case 'append_logs': {
        const stored = this.ctx.storage.transactionSync(() => {
          const out = this.logs.append(fx.jobId, fx.lines, this.logs.lastSeq() + 1)
          this.storeState(state)
          return out
        })
        this.viewers.broadcast(encodeDashboardLogs(stored.json))
        return this.mirror.linesStored(state, stored.lines)
      }
      case 'arm_alarm':
        return this.armAlarm(state)
      case 'log_line': {
        // The dashboard's own line takes the next deployment seq and leaves the job's acked seq
        // alone, so the runner's numbering is not disturbed.
        const line = { seq: 1, ts: Date.now(), stream: 'info' as const, text: fx.text }
        const stored = this.logs.append(fx.jobId, [line], this.logs.lastSeq() + 1)
        this.viewers.broadcast(encodeDashboardLogs(stored.json))
        return this.mirror.linesStored(state, stored.lines)
      }
      case 'reply':
        return ws?.send(encodeDeploymentToRunner(fx.frame))
      case 'close_socket':
        return ws?.close(fx.code, fx.reason.slice(0, 120))
      case 'stop_on_runner':
        this.sendToJob(fx.jobId, encodeDeploymentToRunner({ type: 'job.cancel', jobId: fx.jobId }))
        if (fx.runnerId) await hubStub(this.env).cancelJob(fx.jobId, fx.runnerId)
        return
      case 'apply_cleanup_policy':
        // The policy's destroy is reduced against the state read after the policy's D1 read, so
        // a retry or destroy the admin asked for meanwhile wins.
        if ((await getCleanupPolicy(db)).onFailure !== 'destroy') return
        await this.run({ type: 'destroy', jobId: crypto.randomUUID(), auto: true, at: Date.now() })
        return
      default:
        // What goes to D1, the hub or the operator's log: no storage or socket of this object.
        return outsideEffect(this.env, this.ctx, state, fx)
    }
  }

  /** Mirror what the list shows into the D1 row, only when it changed (steps do not). */
  private async writeRow(state: DeploymentState): Promise<void> {
    const { row, signature } = rowOf(state)
    if (signature === state.rowSignature) return
    state.rowSignature = signature
    this.storeState(state)
    await mirrorDeployment(this.env.DB, state.id, row)
  }

  private sendToJob(jobId: string, text: string): void {
    for (const ws of this.ctx.getWebSockets(`job:${jobId}`)) {
      try {
        ws.send(text)
      } catch {
        // Closed meanwhile; the runner gets the news on its next job.hello.
      }
    }
  }

  // ------------------------------------------------------------------ RPC from the worker and the hub

  /** Create the deployment's state with its first job. Idempotent. */
  async init(spec: DeploymentSpec, jobId: string): Promise<void> {
    if (this.state()) return
    const state = initialState(spec, jobId, Date.now())
    await this.perform(state, [{ type: 'save', row: false, watchChanged: false }])
  }

  /**
   * The hub leased the current job to `runnerId`: the spec the runner's assignment is built
   * from (this object is its one owner), or null when the deployment moved on meanwhile.
   */
  async leased(jobId: string, runnerId: string, attempt: number): Promise<LeasedJobInputs | null> {
    const out = await this.run({ type: 'leased', jobId, runnerId, attempt, at: Date.now() })
    return 'state' in out ? leasedInputs(out.state) : null
  }

  /** What the API's detail view adds to the D1 row: the timeline and the current job. */
  view(): DetailView | null {
    const state = this.state()
    return state ? detailView(state, this.logs.lastSeq()) : null
  }

  /** The VM's SSH host key the deploy pinned (the server log's SSH session accepts no other). */
  sshHostKey(): string | null {
    return this.state()?.checkpoint.hostKey ?? null
  }

  readLogs(after: number, limit: number) {
    return this.logs.read(after, limit)
  }

  /** Cancel the current job; `by` (the signed-in user) is recorded in the deployment's log. */
  async requestCancel(by: string): Promise<ActionResult> {
    const job = this.state()?.job
    // Take a queued job out of the queue; if the hub leased it meanwhile, it must be stopped.
    const leased = !job || job.runnerId !== null || !(await cancelQueuedJob(this.env.DB, job.jobId))
    return this.request({ type: 'cancel', by, leased, at: Date.now() })
  }

  /** Run the failed job again as job `jobId`; returns the kind to queue. */
  requestRetry(jobId: string): Promise<ActionResult & { kind?: JobKind }> {
    return this.request({ type: 'retry', jobId, at: Date.now() })
  }

  /** Start, stop or restart the deployed game's VM as job `jobId`. */
  requestPower(action: PowerAction, jobId: string): Promise<ActionResult> {
    return this.request({ type: 'power', action, jobId, at: Date.now() })
  }

  /** Restore the backup `volid` over the VM (ready or stopped) as job `jobId`. */
  requestRestore(jobId: string, volid: string): Promise<ActionResult> {
    return this.request({ type: 'restore', jobId, volid, at: Date.now() })
  }

  /** Change the ready deployment to `spec` as `jobId` (a snapshot first, rolled back on failure). */
  requestChange(
    jobId: string,
    spec: DeploymentSpec,
    sealed: string | null | undefined,
    secretKeys: string[],
    updateTo?: string,
  ): Promise<ActionResult> {
    const update = updateTo !== undefined ? { updateTo } : {}
    return this.request({
      type: 'change',
      jobId,
      spec,
      sealed,
      secretKeys,
      ...update,
      at: Date.now(),
    })
  }

  /** Back up the VM (ready or stopped) as job `jobId`. */
  requestBackup(jobId: string): Promise<ActionResult> {
    return this.request({ type: 'backup', jobId, at: Date.now() })
  }

  /** Destroy the VM (stop, delete with purge) as job `jobId`, and its backups if asked. */
  requestDestroy(jobId: string, deleteBackups = false): Promise<ActionResult> {
    return this.request({ type: 'destroy', jobId, auto: false, deleteBackups, at: Date.now() })
  }

  /** The scheduled actions with their next and last runs; null for an unknown deployment. */
  schedules(): ScheduleState[] | null {
    const state = this.state()
    return state ? (state.schedules ?? []) : null
  }

  /** Replace the deployment's scheduled actions (validated by the route). */
  setSchedules(schedules: Schedule[]): Promise<ActionResult> {
    return this.request({
      type: 'set_schedules',
      schedules,
      minuteMs: scheduleMinuteMs(this.env),
      at: Date.now(),
    })
  }

  /** A runner's refresh of the live status; ignored unless the deployment is watched. */
  async liveStatus(live: LiveStatus): Promise<void> {
    await this.run({ type: 'live', live })
  }

  /** The hub could not hand the job to the runner it leased it to: queue it again. */
  async leaseLost(jobId: string, runnerId: string): Promise<void> {
    const why = 'the runner was gone before it got the job'
    await this.run({ type: 'runner_lost', runnerId, jobId, why, at: Date.now() })
  }

  /** The runner holding the job was revoked: drop its sockets and put the job back in the queue. */
  async runnerRevoked(runnerId: string): Promise<void> {
    for (const ws of this.ctx.getWebSockets('runner')) {
      const att = this.viewers.attachment(ws)
      if (att?.role === 'runner' && att.runnerId === runnerId)
        ws.close(CLOSE.REVOKED, 'runner revoked')
    }
    await this.run({ type: 'runner_lost', runnerId, why: 'its runner was revoked', at: Date.now() })
  }

  /** These sessions ended (signed out, replaced at sign-in): close their sockets now. */
  sessionsEnded(sessionIds: string[]): void {
    this.viewers.sessionsEnded(sessionIds)
  }

  // ------------------------------------------------------------------ sockets

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('expected a websocket', { status: 426 })
    }
    const url = new URL(request.url)
    if (url.pathname === '/runner') return this.acceptRunner(url)
    const pair = new WebSocketPair()
    const [client, server] = [pair[0], pair[1]]
    const after = Math.max(0, Number(url.searchParams.get('after') ?? 0) || 0)
    this.ctx.acceptWebSocket(server, ['dashboard'])
    const expires = Number(url.searchParams.get('expires'))
    server.serializeAttachment({
      role: 'dashboard',
      sessionId: url.searchParams.get('session') ?? undefined,
      expiresAt: Number.isFinite(expires) && expires > 0 ? expires : undefined,
    } satisfies SocketAttachment)
    const state = this.state()
    if (state) server.send(encodeToDashboard(stateFrame(state, this.logs.lastSeq())))
    // History first, in order, then live lines follow: all in this one turn, so none slips between.
    for (const lines of this.logs.replay(after)) server.send(encodeDashboardLogs(lines))
    return new Response(null, { status: 101, webSocket: client })
  }

  /**
   * A runner's job socket: only for the job this deployment runs now, leased to that runner (the
   * route authenticated the runner; this object knows what it leased to whom).
   */
  private acceptRunner(url: URL): Response {
    const runnerId = url.searchParams.get('runnerId') ?? ''
    const jobId = url.searchParams.get('jobId') ?? ''
    const job = this.state()?.job
    if (!job || job.jobId !== jobId || job.runnerId !== runnerId) {
      const message = `Job ${jobId} is not leased to this runner (finished, cancelled or taken over).`
      return Response.json({ error: { code: 'job_gone', message } }, { status: 410 })
    }
    // A newer socket for the same job replaces the old one (a reconnect after a network blip).
    for (const old of this.ctx.getWebSockets(`job:${jobId}`))
      old.close(CLOSE.REPLACED, 'replaced by a newer connection')
    const pair = new WebSocketPair()
    this.ctx.acceptWebSocket(pair[1], ['runner', `job:${jobId}`])
    pair[1].serializeAttachment({ role: 'runner', runnerId, jobId } satisfies SocketAttachment)
    return new Response(null, { status: 101, webSocket: pair[0] })
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const att = this.viewers.attachment(ws)
    // Dashboards only listen; whatever they send is dropped.
    if (att?.role !== 'runner') return
    const parsed = parseRunnerFrame(message)
    if (!parsed.ok) {
      const warning = { level: 'warn', socket: 'runner-job', job: att.jobId, error: parsed.error }
      console.warn(JSON.stringify(warning))
      ws.close(CLOSE.BAD_FRAME, parsed.error.slice(0, 120))
      return
    }
    const input: DeploymentInput = {
      type: 'runner_frame',
      runnerId: att.runnerId,
      jobId: att.jobId,
      frame: parsed.frame,
      at: Date.now(),
    }
    const out = await this.run(input, ws)
    if ('refused' in out) ws.close(CLOSE.JOB_GONE, 'this job is no longer yours')
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
    const scheduled = scheduleDeadline(state)
    if (scheduled !== null) deadlines.push(scheduled)
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
    // Pings are answered by auto-response without waking us: they count as word from the runner.
    let lastHeardAt = 0
    const job = state.job
    if (job) {
      for (const ws of this.ctx.getWebSockets(`job:${job.jobId}`))
        lastHeardAt = Math.max(
          lastHeardAt,
          this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0,
        )
    }
    await this.run({ type: 'tick', lastHeardAt, at: Date.now() })
    await this.runDueSchedules()
  }

  /** Every schedule due now, in order (each after the last one's job was queued or refused). */
  private async runDueSchedules(): Promise<void> {
    for (let i = 0; i < MAX_SCHEDULES; i++) {
      const state = this.state()
      const due = state ? scheduleDeadline(state) : null
      if (due === null || due > Date.now()) return
      const jobId = crypto.randomUUID()
      const minuteMs = scheduleMinuteMs(this.env)
      if ('refused' in (await this.run({ type: 'schedule_due', jobId, minuteMs, at: Date.now() })))
        return
    }
  }
}
