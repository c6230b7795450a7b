/**
 * Reading ansible-playbook's default (human) callback output line by line: which task runs,
 * which one failed and why, and the PLAY RECAP counters.
 */

/** PLAY RECAP counters for one host. */
export interface PlayRecap {
  host: string
  ok: number
  changed: number
  unreachable: number
  failed: number
  skipped: number
  rescued: number
  ignored: number
}

/** The task that made the run fail, with Ansible's own message. */
export interface TaskFailure {
  task: string
  host: string
  message: string
  unreachable: boolean
}

const TASK_LINE = /^(?:TASK|RUNNING HANDLER) \[(.+?)\] \**$/
const FAILURE_LINE =
  /^(fatal|failed): \[([^\]]+)\](?: \(item=.*?\))?: (FAILED|UNREACHABLE)! => (.*)$/
const LOOP_FAILURE_LINE = /^failed: \[([^\]]+)\] \(item=.*?\) => (.*)$/
const RECAP_LINE =
  /^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)/

/** Pulls `msg` out of the JSON that follows "=> " on a failure line, with the command's output. */
function failureMessage(json: string): string {
  let parsed: unknown
  try {
    parsed = JSON.parse(json)
  } catch {
    return json.trim() // Not JSON (a -v format, or output spread over lines): keep it raw.
  }
  if (!parsed || typeof parsed !== 'object') return json.trim()
  const record = parsed as Record<string, unknown>
  const text = (key: string) => {
    const value = record[key]
    return typeof value === 'string' ? value.trim() : ''
  }
  const msg = text('msg') || text('reason')
  // Commands fail with the generic "non-zero return code": what they printed says why.
  const output = (text('stderr') || text('stdout') || text('module_stderr')).split('\n')[0] ?? ''
  if (msg && output && msg !== output) return `${msg}: ${output}`
  return msg || output || json.trim()
}

/**
 * Follows the output of one ansible-playbook run. Feed it every line; read `failure` and `recap`
 * at the end.
 */
export class PlaybookOutputTracker {
  currentTask: string | null = null
  failure: TaskFailure | null = null
  readonly recap: PlayRecap[] = []
  private pending: TaskFailure | null = null
  private inRecap = false

  /** Takes one output line (without its newline). */
  push(line: string): void {
    const task = TASK_LINE.exec(line)
    if (task) {
      this.commitPending()
      this.currentTask = task[1] ?? null
      return
    }
    if (line.startsWith('...ignoring')) {
      this.pending = null
      return
    }
    const failure = FAILURE_LINE.exec(line)
    const loopFailure = failure ? null : LOOP_FAILURE_LINE.exec(line)
    if (failure || loopFailure) {
      this.pending ??= {
        task: this.currentTask ?? '(before the first task)',
        host: (failure ? failure[2] : loopFailure?.[1]) ?? '?',
        message: failureMessage((failure ? failure[4] : loopFailure?.[2]) ?? ''),
        unreachable: failure?.[3] === 'UNREACHABLE',
      }
      return
    }
    if (line.startsWith('PLAY RECAP')) {
      this.commitPending()
      this.inRecap = true
      return
    }
    const recap = this.inRecap ? RECAP_LINE.exec(line) : null
    if (recap) {
      const [, host = '', ...n] = recap
      const [ok, changed, unreachable, failed, skipped, rescued, ignored] = n.map(Number)
      this.recap.push({
        host,
        ok: ok ?? 0,
        changed: changed ?? 0,
        unreachable: unreachable ?? 0,
        failed: failed ?? 0,
        skipped: skipped ?? 0,
        rescued: rescued ?? 0,
        ignored: ignored ?? 0,
      })
    }
  }

  /** Call once the process has ended. */
  end(): void {
    this.commitPending()
  }

  // A failure counts once the next task starts or the recap begins without "...ignoring". The
  // last one wins: an earlier one may have been rescued, while a host stops at its fatal one.
  private commitPending(): void {
    if (this.pending) this.failure = this.pending
    this.pending = null
  }
}

/** ansible-playbook exit codes (ansible-core `lib/ansible/cli/__init__.py` and executor). */
export function describeExitCode(code: number): string {
  switch (code) {
    case 0:
      return 'success'
    case 1:
      return 'error'
    case 2:
      return 'one or more hosts failed'
    case 3:
      return 'one or more hosts were unreachable'
    case 4:
      return 'parser error (the playbook or the inventory is invalid)'
    case 5:
      return 'bad or incomplete options'
    case 99:
      return 'interrupted'
    case 250:
      return 'unexpected error'
    default:
      return `exit code ${code}`
  }
}
