import { join } from 'node:path'
import {
  DeploymentToRunner,
  encodeRunnerToDeployment,
  parseFrame,
  stepsOf,
} from '../../../core/protocol'
import type { Checkpoint, JobAssignment, LogStream, StepName } from '../../../core/protocol'
import type { RunConfig } from '../setup/config'
import type { Executors, StepContext } from '../executors/types'
import type { Logger } from '../logger'
import { Redactor, secretsOfJob } from '../redact'
import type { SshKeyPair } from '../ssh/key'
import { ManagedSocket } from '../net/socket'
import type { SocketEnding } from '../net/socket'
import { assertNever } from '../../../core/assert'
import { frames, redactResult, toStepError } from './frames'
import type { DoneFrame, JobFrame, StepFrame } from './frames'
import { LogOutbox } from './log-outbox'

/** After job.done, how long to wait for the server to ack the last lines before giving up. */
const FINAL_ACK_TIMEOUT_MS = 60_000

type Welcome = Extract<DeploymentToRunner, { type: 'job.welcome' }>

/** How the step loop ended. `interrupted`: drained, lost the job, or shut down: no report. */
type Outcome =
  | { kind: 'succeeded'; result: Record<string, unknown> | undefined }
  | { kind: 'failed'; step: StepName; error: ReturnType<typeof toStepError> }
  | { kind: 'cancelled'; step: StepName | undefined }
  | { kind: 'interrupted' }

export interface JobRunDeps {
  config: RunConfig
  /** ws:// or wss:// base of the server. */
  socketBase: string
  key: string
  executors: Executors
  ssh: SshKeyPair
  log: Logger
  /** The server refused the runner key on this job's socket. */
  onRevoked(detail: string): void
}

/** Spool files live under the state dir, named by job id. */
export function spoolPath(stateDir: string, jobId: string): string {
  return join(stateDir, 'spool', `${jobId.replace(/[^\w.-]/g, '_')}.jsonl`)
}

/**
 * One job on this runner: its own socket to the deployment (reconnecting on its own), the step
 * loop from the server's checkpoint, and the log outbox. Reports `step` and `job.done` frames and
 * replays the ones the server may have missed after each reconnect.
 */
export class JobRun {
  readonly jobId: string
  /** Settles when the job no longer needs this process (reported and acked, or stopped). */
  readonly finished: Promise<void>
  private readonly socket: ManagedSocket<JobFrame>
  private readonly outbox: LogOutbox
  private readonly redactor: Redactor
  private readonly stepAbort = new AbortController()
  /** Aborted to stop waiting for acks (shutdown deadline). */
  private readonly hurry = new AbortController()
  private cancelRequested = false
  private hadWelcome = false
  private draining = false
  private gone = false
  private holdsSlot = true
  private checkpoint: Checkpoint = { upids: {}, doneSteps: [] }
  private readonly doneFrames: StepFrame[] = []
  private runningFrame: StepFrame | null = null
  private finalFrames: (StepFrame | DoneFrame)[] = []
  private welcomed: (w: Welcome | null) => void = () => {}

  constructor(
    private readonly job: JobAssignment,
    private readonly deps: JobRunDeps,
  ) {
    this.jobId = job.jobId
    const secrets = secretsOfJob(job)
    this.redactor = new Redactor(secrets)
    deps.log.addSecrets(secrets)
    const { config } = deps
    this.outbox = new LogOutbox({
      spoolPath: spoolPath(config.stateDir, job.jobId),
      flushMs: config.logFlushMs,
      batchLines: config.logBatchLines,
      send: (lines) => this.socket.send({ type: 'logs', jobId: this.jobId, lines }),
      bufferedAmount: () => this.socket.bufferedAmount,
    })
    this.socket = new ManagedSocket({
      url: `${deps.socketBase}/api/runner/deployments/${encodeURIComponent(job.deploymentId)}/jobs/${encodeURIComponent(job.jobId)}/connect`,
      key: deps.key,
      label: `job ${job.jobId}`,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      backoffBaseMs: config.backoffBaseMs,
      backoffMaxMs: config.backoffMaxMs,
      log: deps.log,
      encode: encodeRunnerToDeployment,
      goneStatuses: [404, 409, 410],
      onOpen: () => this.socket.send(frames.hello(this.jobId, job.attempt)),
      onMessage: (text) => this.onMessage(text),
      onDisconnect: () => this.outbox.disconnected(),
      onEnd: (ending) => this.onEnd(ending),
    })
    this.finished = this.run()
  }

  /** Whether this job counts against maxJobs. */
  get active(): boolean {
    return this.holdsSlot
  }

  /** Cancel from the user (either socket): abort the step, then report `cancelled`. */
  cancel(): void {
    if (this.finalFrames.length > 0 || this.cancelRequested) return
    this.deps.log.info(`job ${this.jobId}: cancel requested`)
    this.cancelRequested = true
    this.stepAbort.abort(new Error('cancelled'))
  }

  /** SIGTERM: let the running step reach its checkpoint, then leave the job to be resumed. */
  drain(): void {
    this.draining = true
    this.welcomed(null)
  }

  /** Drain deadline passed or the runner is revoked: abort the step and stop waiting. */
  abortNow(): void {
    this.draining = true
    this.stepAbort.abort(new Error('runner shutting down'))
    this.hurry.abort()
    this.welcomed(null)
  }

  private async run(): Promise<void> {
    const { log } = this.deps
    if (this.outbox.reloaded > 0) {
      log.info(`job ${this.jobId}: resuming with ${this.outbox.reloaded} spooled log lines`)
    }
    const welcome = new Promise<Welcome | null>((resolve) => (this.welcomed = resolve))
    this.socket.start()
    // A cancel before the welcome still waits for it: the server needs this socket to hear it.
    const outcome: Outcome = (await welcome) ? await this.runSteps() : { kind: 'interrupted' }
    if (outcome.kind === 'interrupted') return this.leave()
    // Every line goes ahead of the verdict: the server ends the job (and closes this socket) on
    // job.done, so a line still queued behind it, e.g. held back by backpressure after a burst,
    // would be refused and lost. Lines already on the socket are safe: the server takes a
    // socket's frames in order. Only lines held back are waited for (acked) first.
    this.outbox.flush()
    const ackWait = AbortSignal.any([this.hurry.signal, AbortSignal.timeout(FINAL_ACK_TIMEOUT_MS)])
    if (!this.outbox.allSent) await this.outbox.waitAllAcked(ackWait)
    this.report(outcome)
    this.freeSlot()
    // The spool goes only once the server has the lines: their acks come before its close.
    const acked = await this.outbox.waitAllAcked(ackWait)
    await this.socket.close(1000, 'job done')
    if (acked || this.gone) this.outbox.remove()
    else this.outbox.close()
    log.info(
      `job ${this.jobId}: ${outcome.kind}${acked ? '' : ' (some log lines not acked; spool kept)'}`,
    )
  }

  private async runSteps(): Promise<Outcome> {
    let result: Record<string, unknown> | undefined
    // One header line per job run, so the deployment's one log reads job by job.
    const first = stepsOf(this.job.kind).find((s) => !this.checkpoint.doneSteps.includes(s))
    if (first && !this.gone) {
      const resumed = this.checkpoint.doneSteps.length > 0 ? `, resumed at ${first}` : ''
      this.outbox.append(
        `── ${this.job.kind} job (attempt ${this.job.attempt}${resumed}) ──`,
        'info',
        first,
      )
    }
    // A done step's frame goes out with the next step's start (one server write per boundary).
    let done: StepFrame | null = null
    const sendDone = (): void => {
      if (done) this.socket.send(done)
      done = null
    }
    for (const step of stepsOf(this.job.kind)) {
      if (this.checkpoint.doneSteps.includes(step)) continue
      if (this.cancelRequested) {
        sendDone()
        return { kind: 'cancelled', step: undefined }
      }
      if (this.draining || this.gone) {
        sendDone()
        return { kind: 'interrupted' }
      }
      this.runningFrame = frames.step(this.jobId, step, 'running')
      if (done) {
        done.next = step
        sendDone()
      } else this.socket.send(this.runningFrame)
      this.deps.log.info(`job ${this.jobId}: ${step} running`)
      try {
        const res = await this.deps.executors.runStep(step, this.context(step))
        this.checkpoint = {
          vmid: res.vmid ?? this.checkpoint.vmid,
          ip: res.ip ?? this.checkpoint.ip,
          gameVersion: res.gameVersion ?? this.checkpoint.gameVersion,
          hostKey: this.checkpoint.hostKey ?? res.hostKey,
          upids: res.upid ? { ...this.checkpoint.upids, [step]: res.upid } : this.checkpoint.upids,
          doneSteps: [...this.checkpoint.doneSteps, step],
        }
        if (res.result) result = redactResult(res.result, this.redactor)
        done = frames.step(this.jobId, step, 'done', {
          checkpoint: {
            vmid: res.vmid,
            ip: res.ip,
            upid: res.upid,
            gameVersion: res.gameVersion,
            hostKey: res.hostKey,
          },
        })
        this.doneFrames.push(done)
        this.runningFrame = null
        this.deps.log.info(`job ${this.jobId}: ${step} done`)
      } catch (err) {
        this.runningFrame = null
        if (this.cancelRequested) return { kind: 'cancelled', step }
        if (this.stepAbort.signal.aborted || this.gone) return { kind: 'interrupted' }
        return { kind: 'failed', step, error: toStepError(err, this.redactor) }
      }
    }
    sendDone()
    return { kind: 'succeeded', result }
  }

  private context(step: StepName): StepContext {
    const { ssh, config, log } = this.deps
    return {
      job: this.job,
      checkpoint: this.checkpoint,
      sshPublicKey: ssh.publicKey,
      sshPrivateKeyPath: ssh.privateKeyPath,
      stateDir: config.stateDir,
      signal: this.stepAbort.signal,
      log: (text: string, stream: LogStream = 'stdout') => {
        if (this.gone) return
        const clean = this.redactor.redact(text)
        this.outbox.append(clean, stream, step)
        log.debug(`job ${this.jobId} [${step}] ${clean}`)
      },
    }
  }

  private report(outcome: Exclude<Outcome, { kind: 'interrupted' }>): void {
    switch (outcome.kind) {
      case 'succeeded':
        this.finalFrames = [
          frames.done(this.jobId, 'succeeded', outcome.result ? { result: outcome.result } : {}),
        ]
        break
      case 'failed':
        this.finalFrames = [
          frames.step(this.jobId, outcome.step, 'failed', { error: outcome.error }),
          frames.done(this.jobId, 'failed', { error: { ...outcome.error, step: outcome.step } }),
        ]
        break
      case 'cancelled':
        this.finalFrames = [
          frames.done(this.jobId, 'cancelled', {
            error: {
              message: 'cancelled by the user',
              ...(outcome.step ? { step: outcome.step } : {}),
            },
          }),
        ]
        break
      default:
        return assertNever(outcome)
    }
    for (const frame of this.finalFrames) this.socket.send(frame)
  }

  /** Stop without a verdict: the lease expires server-side and the job resumes elsewhere. */
  private async leave(): Promise<void> {
    this.freeSlot()
    if (this.gone) {
      this.outbox.remove()
      this.deps.log.info(`job ${this.jobId}: no longer ours, stopped`)
      return
    }
    this.outbox.flush()
    await this.outbox.waitAllAcked(this.hurry.signal)
    await this.socket.close(1001, 'runner stopping')
    this.outbox.close()
    this.deps.log.info(
      `job ${this.jobId}: left at checkpoint (${this.checkpoint.doneSteps.join(', ') || 'no step done'})`,
    )
  }

  private freeSlot(): void {
    this.holdsSlot = false
  }

  private onMessage(text: string): void {
    const parsed = parseFrame(DeploymentToRunner, text)
    if (!parsed.ok) {
      this.deps.log.warn(`job ${this.jobId}: ignoring a frame from the server: ${parsed.error}`)
      return
    }
    const frame = parsed.frame
    switch (frame.type) {
      case 'job.welcome':
        return this.onWelcome(frame)
      case 'logs.ack':
        return this.outbox.ack(frame.seq)
      case 'job.cancel':
        return this.cancel()
      default:
        return assertNever(frame)
    }
  }

  private onWelcome(w: Welcome): void {
    this.socket.confirmed()
    if (!this.hadWelcome) this.checkpoint = w.checkpoint
    this.hadWelcome = true
    // Replay what the previous connection may have lost: step results first, then the lines,
    // then the verdict; the server treats repeats as no-ops.
    for (const f of this.doneFrames)
      if (!w.checkpoint.doneSteps.includes(f.step)) this.socket.send(f)
    if (this.runningFrame) this.socket.send(this.runningFrame)
    this.outbox.connected(w.ackedSeq)
    for (const f of this.finalFrames) this.socket.send(f)
    if (w.cancelRequested) this.cancel()
    this.welcomed(w)
  }

  private onEnd(ending: SocketEnding): void {
    switch (ending.kind) {
      case 'gone':
      case 'replaced':
        this.deps.log.info(
          `job ${this.jobId}: the server took the job back (${ending.kind === 'gone' ? ending.detail : 'replaced'})`,
        )
        this.gone = true
        this.stepAbort.abort(new Error('job gone'))
        this.hurry.abort()
        this.welcomed(null)
        return
      case 'revoked':
        this.gone = true
        this.deps.onRevoked(ending.detail)
        return
      default:
        return assertNever(ending)
    }
  }
}
