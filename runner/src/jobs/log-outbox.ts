import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { dirname } from 'node:path'
import { LogLine } from '../../../core/protocol'
import type { LogStream, StepName } from '../../../core/protocol'

/** The protocol's cap on one line's text. */
const MAX_LINE_CHARS = 16_384
const TRUNCATED = ' …[truncated]'
/** Above this many queued bytes on the socket, wait for the next flush instead of piling on. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024
/**
 * A batch's text budget: Cloudflare caps a websocket message at 1 MiB, and 500 lines of up to
 * 16 KiB each would not fit. Counted in UTF-16 units plus a per-line allowance for the JSON.
 */
const MAX_BATCH_CHARS = 256 * 1024
const LINE_OVERHEAD_CHARS = 100

export interface LogOutboxOptions {
  spoolPath: string
  flushMs: number
  batchLines: number
  /** Sends one batch; false when the socket is down. */
  send(lines: LogLine[]): boolean
  bufferedAmount(): number
}

/**
 * A job's log lines from the executor to the server: numbered (seq strictly increasing from 1,
 * never reused), spooled to disk before they are sent, batched by time and count, kept until
 * acked and resent after the server's acked seq on reconnect. So nothing is lost (even on
 * SIGKILL: the spool is written with write(2), which lands in the page cache), duplicated or
 * reordered: the dashboard's live log and the stored log show every line once, in order.
 */
export class LogOutbox {
  /** Unacked lines, in seq order. */
  private lines: LogLine[] = []
  private nextSeq: number
  private ackedSeq = 0
  /** Highest seq handed to the current connection; -1 while disconnected. */
  private sentSeq = -1
  private fd: number | null
  private timer: NodeJS.Timeout | null = null
  private waiters: (() => void)[] = []
  /** Spool text not yet written (see spool()). */
  private pendingSpool = ''

  constructor(private readonly opts: LogOutboxOptions) {
    const spool = readSpool(opts.spoolPath)
    this.lines = spool.lines
    this.nextSeq = (this.lines.at(-1)?.seq ?? 0) + 1
    mkdirSync(dirname(opts.spoolPath), { recursive: true, mode: 0o700 })
    // A torn tail would glue itself to the next line appended: keep only the whole lines.
    if (spool.torn)
      writeFileSync(opts.spoolPath, spool.lines.map((l) => `${JSON.stringify(l)}\n`).join(''))
    this.fd = openSync(opts.spoolPath, 'a', 0o600)
  }

  /** Lines reloaded from a previous process's spool (for the log). */
  get reloaded(): number {
    return this.nextSeq - 1
  }

  get lastSeq(): number {
    return this.nextSeq - 1
  }

  /** Whether the server has persisted every line so far. */
  get allAcked(): boolean {
    return this.ackedSeq >= this.lastSeq
  }

  /** Whether every line so far is on the current connection (sent, maybe not yet acked). */
  get allSent(): boolean {
    return this.sentSeq >= this.lastSeq
  }

  /** Numbers, spools and queues already-redacted text, one line per `\n`. */
  append(text: string, stream: LogStream, step: StepName | undefined): void {
    const parts = text.split(/\r?\n/)
    if (parts.length > 1 && parts.at(-1) === '') parts.pop()
    let spooled = ''
    for (const part of parts) {
      const line: LogLine = {
        seq: this.nextSeq++,
        ts: Date.now(),
        stream,
        text:
          part.length > MAX_LINE_CHARS
            ? part.slice(0, MAX_LINE_CHARS - TRUNCATED.length) + TRUNCATED
            : part,
        ...(step ? { step } : {}),
      }
      this.lines.push(line)
      spooled += `${JSON.stringify(line)}\n`
    }
    this.spool(spooled)
    if (this.sentSeq < 0) return
    if (this.lastSeq - this.sentSeq >= this.opts.batchLines) this.flush()
    else this.timer ??= setTimeout(() => this.flush(), this.opts.flushMs)
  }

  /**
   * Queues spool text, written in one write(2) before any of it is sent or at the end of this
   * turn, whichever is first: a write per line was a system call per line, most of a flat-out
   * burst's cost on the runner.
   */
  private spool(text: string): void {
    if (this.fd === null) return
    if (this.pendingSpool === '') queueMicrotask(() => this.writeSpool())
    this.pendingSpool += text
  }

  private writeSpool(): void {
    if (this.pendingSpool === '' || this.fd === null) return
    const text = this.pendingSpool
    this.pendingSpool = ''
    writeSync(this.fd, text)
  }

  /** The server persisted everything up to `seq`. */
  ack(seq: number): void {
    if (seq <= this.ackedSeq) return
    this.ackedSeq = Math.min(seq, this.lastSeq)
    let drop = 0
    while (drop < this.lines.length && (this.lines[drop]?.seq ?? Infinity) <= seq) drop++
    if (drop > 0) this.lines.splice(0, drop)
    if (this.allAcked) for (const wake of this.waiters.splice(0)) wake()
  }

  /** A (re)connected socket's welcome: resend everything after `ackedSeq`, in order. */
  connected(ackedSeq: number): void {
    // The server holds lines this process never wrote (another runner had the job meanwhile):
    // continue after them, so no seq is ever reused.
    if (ackedSeq >= this.nextSeq) this.nextSeq = ackedSeq + 1
    this.sentSeq = ackedSeq
    this.ack(ackedSeq)
    this.flush()
  }

  /** The socket dropped: stop sending until the next welcome. */
  disconnected(): void {
    this.sentSeq = -1
    this.clearTimer()
  }

  /** Sends every queued line now, in batches of at most `batchLines`. */
  flush(): void {
    this.clearTimer()
    // On disk before on the wire: a line the server may have seen is in the spool.
    this.writeSpool()
    if (this.sentSeq < 0) return
    if (this.opts.bufferedAmount() > MAX_BUFFERED_BYTES) {
      this.timer = setTimeout(() => this.flush(), this.opts.flushMs)
      return
    }
    // Unacked lines almost always have consecutive seqs: find the first unsent one by
    // arithmetic, and search only when a jump (see connected) makes that wrong.
    const first = this.lines[0]?.seq ?? this.nextSeq
    let start = Math.max(0, this.sentSeq + 1 - first)
    if (start > 0 && this.lines[start - 1]?.seq !== this.sentSeq) {
      start = this.lines.findIndex((l) => l.seq > this.sentSeq)
      if (start < 0) return
    }
    while (start < this.lines.length) {
      let end = start
      let chars = 0
      while (end < this.lines.length && end - start < this.opts.batchLines) {
        chars += (this.lines[end]?.text.length ?? 0) + LINE_OVERHEAD_CHARS
        if (chars > MAX_BATCH_CHARS && end > start) break
        end++
      }
      const batch = this.lines.slice(start, end)
      if (!this.opts.send(batch)) {
        this.sentSeq = -1
        return
      }
      this.sentSeq = batch.at(-1)?.seq ?? this.sentSeq
      start += batch.length
    }
  }

  /** Resolves true once every line is acked, false when `signal` fires first. */
  waitAllAcked(signal: AbortSignal): Promise<boolean> {
    if (this.allAcked) return Promise.resolve(true)
    if (signal.aborted) return Promise.resolve(false)
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        signal.removeEventListener('abort', onAbort)
        resolve(ok)
      }
      const onAbort = () => done(false)
      signal.addEventListener('abort', onAbort, { once: true })
      this.waiters.push(() => done(true))
    })
  }

  /** Stops writing; the spool stays for a later resume. */
  close(): void {
    this.clearTimer()
    this.writeSpool()
    if (this.fd !== null) closeSync(this.fd)
    this.fd = null
  }

  /** The job is over and acked: the spool is no longer needed. */
  remove(): void {
    this.close()
    rmSync(this.opts.spoolPath, { force: true })
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }
}

/** Lines of a previous process's spool; a torn last line (killed mid-write) is dropped. */
function readSpool(path: string): { lines: LogLine[]; torn: boolean } {
  if (!existsSync(path)) return { lines: [], torn: false }
  const lines: LogLine[] = []
  const texts = readFileSync(path, 'utf8').split('\n')
  if (texts.at(-1) === '') texts.pop()
  for (const text of texts) {
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return { lines, torn: true }
    }
    const line = LogLine.safeParse(json)
    if (!line.success || line.data.seq <= (lines.at(-1)?.seq ?? 0)) return { lines, torn: true }
    lines.push(line.data)
  }
  return { lines, torn: false }
}
