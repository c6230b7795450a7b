/** Small timing helpers shared by the Proxmox steps and the SSH wait. */

/** The first wait between two looks at a task or a lock; it doubles up to the poll interval. */
export const FIRST_POLL_MS = 2

/** Resolve after `ms`, or reject early with the signal's reason. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** Exponential backoff with ±25 % jitter: base·2^attempt, capped. */
export function backoffMs(attempt: number, baseMs: number, capMs: number): number {
  const raw = Math.min(capMs, baseMs * 2 ** attempt)
  return Math.round(raw * (0.75 + Math.random() * 0.5))
}

/** A FIFO mutex: `run` executes one function at a time, in call order. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve()

  /** Run `fn` once every earlier `run` has settled. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn)
    this.tail = result.catch(() => undefined)
    return result
  }
}

/** A FIFO counting semaphore: at most `size` functions run at once. */
export class Semaphore {
  private active = 0
  private readonly queue: (() => void)[] = []

  constructor(readonly size: number) {}

  /** Run `fn` when a slot is free; stop waiting (reject) if `signal` aborts first. */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.active >= this.size) {
      await new Promise<void>((resolve, reject) => {
        const grant = (): void => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        }
        const onAbort = (): void => {
          const i = this.queue.indexOf(grant)
          if (i !== -1) this.queue.splice(i, 1)
          reject(signal?.reason)
        }
        signal?.addEventListener('abort', onAbort, { once: true })
        this.queue.push(grant)
      })
    } else {
      signal?.throwIfAborted()
    }
    this.active += 1
    try {
      return await fn()
    } finally {
      this.active -= 1
      this.queue.shift()?.()
    }
  }
}
