import { createServer } from 'node:http'
import type { IncomingMessage, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import type { WebSocket } from 'ws'
import {
  CLOSE,
  PROTOCOL_VERSION,
  RunnerToDeployment,
  RunnerToServer,
  parseFrame,
} from '../../core/protocol'
import type {
  Checkpoint,
  DeploymentToRunner,
  JobAssignment,
  LogLine,
  ServerToRunner,
} from '../../core/protocol'

/**
 * A loopback stand-in for the worker (RunnerHub + DeploymentDO), strict about the protocol: it
 * records every frame, persists log lines only when it acks them, and notes every gap, duplicate
 * or reordering it sees, so tests assert on what the dashboard would show.
 */

export type StepEvent = Extract<RunnerToDeployment, { type: 'step' }>
export type DoneEvent = Extract<RunnerToDeployment, { type: 'job.done' }>
type Hello = Extract<RunnerToServer, { type: 'hello' }>

export interface JobState {
  assignment: JobAssignment
  checkpoint: Checkpoint
  /** Lines persisted (acked), in order. */
  persisted: LogLine[]
  /** Lines received on the current connection and not yet persisted. */
  pending: LogLine[]
  /** Highest seq the current connection may send next minus one. */
  expectSeqAfter: number
  steps: StepEvent[]
  done: DoneEvent[]
  hellos: number
  socket: WebSocket | null
  cancelRequested: boolean
  /** Persist and ack only up to this seq (Infinity = everything). */
  maxAck: number
  /** Frames as sent by the runner, for redaction checks. */
  wire: string[]
  /** The first log seq received on each connection. */
  firstSeqs: number[]
}

export class FakeServer {
  readonly key = 'test-runner-key-0123456789abcdef'
  url = ''
  /** Reject every websocket upgrade with this HTTP status. */
  upgradeStatus: number | null = null
  answerPings = true
  sendWelcome = true
  /** Close every new control connection at once, before any welcome. */
  dropControl = false
  controlConnections = 0
  openJobSockets = 0
  maxOpenJobSockets = 0
  controlSockets: WebSocket[] = []
  hellos: Hello[] = []
  testResults: Extract<RunnerToServer, { type: 'test.result' }>[] = []
  /** Live-status reports, sweep reports and orphan-destroy results, in arrival order. */
  otherFrames: Exclude<RunnerToServer, { type: 'hello' | 'test.result' }>[] = []
  pings = 0
  /** Control socket frames as the runner sent them. */
  controlWire: string[] = []
  readonly jobs = new Map<string, JobState>()
  /** Protocol violations seen: tests expect this to stay empty. */
  readonly violations: string[] = []
  /** Registration: code → answer. */
  registrations = new Map<string, { runnerId: string; key: string }>()
  private readonly http: Server
  private readonly wss = new WebSocketServer({ noServer: true })

  constructor() {
    this.http = createServer((req, res) => {
      if (req.method === 'POST' && req.url === '/api/runner/register') {
        let body = ''
        req.on('data', (c: Buffer) => (body += c.toString()))
        req.on('end', () => {
          const { code } = JSON.parse(body) as { code?: string }
          const answer = code ? this.registrations.get(code) : undefined
          res.setHeader('content-type', 'application/json')
          if (!answer) {
            res.statusCode = 401
            res.end(
              JSON.stringify({
                error: {
                  code: 'invalid_code',
                  message: 'This registration code is unknown or expired.',
                },
              }),
            )
            return
          }
          res.end(JSON.stringify(answer))
        })
        return
      }
      res.statusCode = 404
      res.end()
    })
    this.http.on('upgrade', (req, socket, head) => {
      const status = this.upgradeStatus ?? this.authStatus(req)
      const jobId = /^\/api\/runner\/deployments\/[^/]+\/jobs\/([^/]+)\/connect$/.exec(
        req.url ?? '',
      )?.[1]
      const route = req.url === '/api/runner/connect' ? 'control' : jobId ? 'job' : null
      const missing =
        route === null || (jobId !== undefined && !this.jobs.has(decodeURIComponent(jobId)))
      if (status !== null || missing) {
        socket.end(
          `HTTP/1.1 ${status ?? 404} Refused\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
        )
        return
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        if (route === 'control') this.onControl(ws)
        else if (jobId) this.onJob(ws, decodeURIComponent(jobId))
      })
    })
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`
    return this
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate()
    this.http.closeAllConnections()
    await new Promise<void>((resolve) => this.http.close(() => resolve()))
  }

  /** The newest control socket. */
  get control(): WebSocket | undefined {
    return this.controlSockets.at(-1)
  }

  /** Registers a job and pushes `job.assign` on the newest control socket. */
  assign(job: JobAssignment, checkpoint: Partial<Checkpoint> = {}): JobState {
    const state = this.jobs.get(job.jobId) ?? {
      assignment: job,
      checkpoint: { upids: {}, doneSteps: [], ...checkpoint },
      persisted: [],
      pending: [],
      expectSeqAfter: 0,
      steps: [],
      done: [],
      hellos: 0,
      socket: null,
      cancelRequested: false,
      maxAck: Infinity,
      wire: [],
      firstSeqs: [],
    }
    this.jobs.set(job.jobId, state)
    this.sendControl({ v: PROTOCOL_VERSION, type: 'job.assign', job })
    return state
  }

  sendControl(frame: ServerToRunner): void {
    this.control?.send(JSON.stringify(frame))
  }

  sendJob(jobId: string, frame: DeploymentToRunner): void {
    this.jobs.get(jobId)?.socket?.send(JSON.stringify(frame))
  }

  /** Closes the newest control socket with a protocol close code (revoked, replaced). */
  closeControl(code: (typeof CLOSE)['REVOKED' | 'REPLACED']): void {
    this.control?.close(code, code === CLOSE.REVOKED ? 'runner revoked' : 'replaced')
  }

  /** Closes a job socket with a protocol close code, e.g. JOB_GONE. */
  closeJob(jobId: string, code: (typeof CLOSE)['JOB_GONE']): void {
    this.jobs.get(jobId)?.socket?.close(code, 'job gone')
  }

  /** Drops a job socket like a network cut: unacked lines are lost server-side. */
  dropJobSocket(jobId: string): void {
    this.jobs.get(jobId)?.socket?.terminate()
  }

  private authStatus(req: IncomingMessage): number | null {
    return req.headers.authorization === `Bearer ${this.key}` ? null : 401
  }

  private onHeartbeat(ws: WebSocket, text: string): boolean {
    if (text !== 'ping') return false
    this.pings += 1
    if (this.answerPings) ws.send('pong')
    return true
  }

  private onControl(ws: WebSocket): void {
    this.controlConnections += 1
    if (this.dropControl) {
      ws.close(1011, 'going away')
      return
    }
    this.controlSockets.push(ws)
    ws.on('message', (data) => {
      const text = data.toString()
      if (this.onHeartbeat(ws, text)) return
      this.controlWire.push(text)
      const parsed = parseFrame(RunnerToServer, text)
      if (!parsed.ok) {
        this.violations.push(`control: ${parsed.error}`)
        return
      }
      const frame = parsed.frame
      if (frame.type === 'hello') {
        this.hellos.push(frame)
        if (this.sendWelcome) {
          ws.send(
            JSON.stringify({
              v: 1,
              type: 'welcome',
              runnerId: 'runner-1',
              heartbeatIntervalMs: 60_000,
            }),
          )
        }
      } else if (frame.type === 'test.result') {
        this.testResults.push(frame)
      } else {
        this.otherFrames.push(frame)
      }
    })
  }

  private onJob(ws: WebSocket, jobId: string): void {
    const job = this.jobs.get(jobId)
    if (!job) return
    job.socket?.terminate()
    job.socket = ws
    job.pending = []
    this.openJobSockets += 1
    this.maxOpenJobSockets = Math.max(this.maxOpenJobSockets, this.openJobSockets)
    let first = true
    ws.on('close', () => {
      this.openJobSockets -= 1
      if (job.socket === ws) job.socket = null
    })
    ws.on('message', (data) => {
      const text = data.toString()
      if (this.onHeartbeat(ws, text)) return
      job.wire.push(text)
      const parsed = parseFrame(RunnerToDeployment, text)
      if (!parsed.ok) {
        this.violations.push(`job ${jobId}: ${parsed.error}`)
        return
      }
      const frame = parsed.frame
      switch (frame.type) {
        case 'job.hello': {
          job.hellos += 1
          job.expectSeqAfter = job.persisted.at(-1)?.seq ?? 0
          const welcome: DeploymentToRunner = {
            v: 1,
            type: 'job.welcome',
            jobId,
            ackedSeq: job.expectSeqAfter,
            checkpoint: job.checkpoint,
            cancelRequested: job.cancelRequested,
          }
          ws.send(JSON.stringify(welcome))
          return
        }
        case 'logs':
          if (first) job.firstSeqs.push(frame.lines[0]?.seq ?? 0)
          first = false
          return this.onLogs(ws, job, frame.lines)
        case 'step':
          job.steps.push(frame)
          // A done frame naming the next step reports that step's start too (as the DO reads it).
          if (frame.next) {
            const { v, type, jobId, at } = frame
            job.steps.push({ v, type, jobId, at, step: frame.next, status: 'running' })
          }
          if (frame.status === 'done') {
            const cp = job.checkpoint
            job.checkpoint = {
              vmid: frame.checkpoint?.vmid ?? cp.vmid,
              ip: frame.checkpoint?.ip ?? cp.ip,
              upids: frame.checkpoint?.upid
                ? { ...cp.upids, [frame.step]: frame.checkpoint.upid }
                : cp.upids,
              doneSteps: cp.doneSteps.includes(frame.step)
                ? cp.doneSteps
                : [...cp.doneSteps, frame.step],
            }
          }
          return
        case 'job.done':
          job.done.push(frame)
          return
      }
    })
  }

  private onLogs(ws: WebSocket, job: JobState, lines: LogLine[]): void {
    for (const line of lines) {
      if (line.seq !== job.expectSeqAfter + 1) {
        this.violations.push(
          `job ${job.assignment.jobId}: got seq ${line.seq}, expected ${job.expectSeqAfter + 1}`,
        )
      }
      job.expectSeqAfter = line.seq
      job.pending.push(line)
    }
    const keep = job.pending.filter((l) => l.seq <= job.maxAck)
    if (keep.length === 0) return
    job.persisted.push(...keep)
    job.pending = job.pending.filter((l) => l.seq > job.maxAck)
    ws.send(
      JSON.stringify({
        v: 1,
        type: 'logs.ack',
        jobId: job.assignment.jobId,
        seq: keep.at(-1)?.seq ?? 0,
      }),
    )
  }
}
