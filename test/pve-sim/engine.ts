import { formatUpid } from '../../runner/src/proxmox/upid'

/** Locks and tasks of the simulated node (docs/proxmox-api.md#tasks, #locks). */

/** An error the API layer turns into PVE's status line and body (docs/proxmox-api.md#errors). */
export class SimError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: Record<string, string>,
  ) {
    super(message)
  }
}

/** `die "..."` in a handler: 500 with the message. */
export function die(message: string): never {
  throw new SimError(500, message)
}

export function paramError(errors: Record<string, string>): never {
  throw new SimError(400, 'Parameter verification failed.', errors)
}

/**
 * A list answered with a top-level `total` beside `data`, e.g. the task log
 * (docs/proxmox-api.md#envelope).
 */
export class ListWithTotal {
  constructor(
    readonly data: unknown[],
    readonly total: number,
  ) {}
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

interface Flock {
  exclusive: boolean
  holders: number
}

/**
 * Node-local flocks (`/var/lock/qemu-server/lock-<vmid>.conf`), shared or exclusive, acquired
 * with a timeout like `PVE::Tools::lock_file_full`. Waiting polls every few ms (bounded by the
 * timeout).
 */
export class FlockTable {
  private readonly locks = new Map<string, Flock>()

  async acquire(file: string, exclusive: boolean, timeoutMs: number): Promise<() => void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const cur = this.locks.get(file)
      if (!cur || cur.holders === 0 || (!exclusive && !cur.exclusive)) {
        const next =
          cur && cur.holders > 0
            ? { exclusive: false, holders: cur.holders + 1 }
            : { exclusive, holders: 1 }
        this.locks.set(file, next)
        let released = false
        return () => {
          if (released) return
          released = true
          const l = this.locks.get(file)
          if (l) l.holders -= 1
          if (l && l.holders <= 0) this.locks.delete(file)
        }
      }
      if (Date.now() >= deadline) throw new Error(`can't lock file '${file}' - got timeout`)
      await sleep(Math.min(5, Math.max(1, deadline - Date.now())))
    }
  }
}

export function vmLockFile(vmid: number): string {
  return `/var/lock/qemu-server/lock-${vmid}.conf`
}

export interface SimTask {
  upid: string
  node: string
  pid: number
  pstart: number
  starttime: number
  type: string
  id: string
  user: string
  status: 'running' | 'stopped'
  exitstatus?: string
  log: string[]
}

export interface TaskContext {
  log(line: string): void
  /** `log_warn`: counted into `WARNINGS: n`. */
  warn(line: string): void
}

/** Task workers: UPIDs in the real format, `running` until done, `exitstatus` as PVE writes it. */
export class TaskTable {
  private readonly tasks = new Map<string, SimTask>()
  private nextPid = 0x1a2b3
  private readonly pstart = 0x00c0ffee

  /** Start `work` in the background and return its UPID at once, like `fork_worker`. */
  create(
    node: string,
    type: string,
    id: string,
    user: string,
    work: (ctx: TaskContext) => Promise<void>,
  ): string {
    const pid = this.nextPid++
    const starttime = Math.floor(Date.now() / 1000)
    const upid = formatUpid({ node, pid, pstart: this.pstart, starttime, type, id, user })
    const task: SimTask = {
      upid,
      node,
      pid,
      pstart: this.pstart,
      starttime,
      type,
      id,
      user,
      status: 'running',
      log: [],
    }
    this.tasks.set(upid, task)
    let warnings = 0
    const ctx: TaskContext = {
      log: (line) => task.log.push(line),
      warn: (line) => {
        warnings += 1
        task.log.push(`WARN: ${line}`)
      },
    }
    void (async () => {
      try {
        await work(ctx)
        task.exitstatus = warnings > 0 ? `WARNINGS: ${warnings}` : 'OK'
        task.log.push(`TASK ${task.exitstatus}`)
      } catch (err) {
        // Chomped, newlines replaced by spaces (docs/proxmox-api.md#tasks).
        const msg = (err instanceof Error ? err.message : String(err))
          .replace(/\n+$/, '')
          .replace(/\n/g, ' ')
        task.exitstatus = msg
        task.log.push(`TASK ERROR: ${msg}`)
      }
      task.status = 'stopped'
    })()
    return upid
  }

  get(upid: string): SimTask | undefined {
    return this.tasks.get(upid)
  }

  all(): SimTask[] {
    return [...this.tasks.values()]
  }

  /** Resolve when every task has stopped (bounded). */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while ([...this.tasks.values()].some((t) => t.status === 'running') && Date.now() < deadline) {
      await sleep(5)
    }
  }
}

export { sleep }
