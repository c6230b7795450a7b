import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { JournalTarget } from '../../../core/protocol'
import { knownHostsLine } from '../ssh/host-key'

/** The name the pinned key is filed under in the stream's own known_hosts. */
const HOST_KEY_ALIAS = 'pgd-vm'
/** Lines are sent in batches: at most this often… */
const FLUSH_MS = 100
/** …or as soon as this many are waiting. */
const BATCH_MAX = 200
/** A line longer than this is cut (the frame's limit). */
const LINE_MAX = 8_000
/** SSH sessions this runner keeps open for watching dashboards, at most. */
export const MAX_JOURNAL_STREAMS = 16

export interface JournalSink {
  lines(lines: string[]): void
  /** Called once, when ssh exited; `error` unless it was closed on purpose. */
  end(error?: string): void
}

/**
 * Follow a game's journal on its VM: `ssh … journalctl -u <unit> -f -n <lines>` with the runner's
 * key, against the host key the deploy pinned and nothing else (its own known_hosts), as OpenSSH
 * runs it for Ansible. Stopping kills ssh, which closes the session, which ends journalctl on the
 * VM. The unit and the count are checked by the frame's schema, so the remote command is fixed
 * text around them.
 */
export class JournalStream {
  private child: ChildProcess | null = null
  private dir: string | null = null
  private pending: string[] = []
  private partial = ''
  private timer: NodeJS.Timeout | null = null
  private stderr = ''
  private closing = false

  constructor(
    private readonly target: JournalTarget,
    private readonly privateKeyPath: string,
    private readonly sink: JournalSink,
  ) {}

  async start(): Promise<void> {
    const t = this.target
    this.dir = await mkdtemp(join(tmpdir(), 'pgd-journal-'))
    const knownHosts = join(this.dir, 'known_hosts')
    await writeFile(knownHosts, knownHostsLine(HOST_KEY_ALIAS, t.hostKey), { mode: 0o600 })
    if (this.closing) return this.finish(null)
    const remote = `journalctl -u ${t.unit}.service -f -n ${t.lines} --no-pager -o short-iso`
    const child = spawn(
      'ssh',
      [
        ...['-p', String(t.port), '-i', this.privateKeyPath],
        ...['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes'],
        ...['-o', `UserKnownHostsFile=${knownHosts}`, '-o', `HostKeyAlias=${HOST_KEY_ALIAS}`],
        ...['-o', 'IdentitiesOnly=yes', '-o', 'ConnectTimeout=10', '-o', 'ServerAliveInterval=15'],
        ...['-o', 'LogLevel=ERROR', '-T', `${t.user}@${t.host}`, remote],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    this.child = child
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => this.take(chunk))
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-1_000)
    })
    child.on('error', (err) => this.finish(`cannot run ssh: ${err.message}`))
    child.on('close', (code, signal) => {
      if (this.closing) return this.finish(null)
      const why = this.stderr.trim() || `ssh exited with ${code ?? signal}`
      this.finish(code === 0 ? null : why)
    })
  }

  /** Nobody watches any more: end the SSH session. */
  stop(): void {
    this.closing = true
    this.child?.kill('SIGTERM')
  }

  private take(chunk: string): void {
    const parts = (this.partial + chunk).split('\n')
    this.partial = parts.pop() ?? ''
    for (const line of parts) this.pending.push(line.slice(0, LINE_MAX))
    if (this.pending.length >= BATCH_MAX) this.flush()
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS)
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    if (this.pending.length === 0) return
    const lines = this.pending
    this.pending = []
    this.sink.lines(lines)
  }

  private finished = false
  private finish(error: string | null): void {
    if (this.finished) return
    this.finished = true
    if (this.partial) this.pending.push(this.partial.slice(0, LINE_MAX))
    this.flush()
    this.sink.end(error ?? undefined)
    const dir = this.dir
    if (dir) void rm(dir, { recursive: true, force: true })
  }
}
