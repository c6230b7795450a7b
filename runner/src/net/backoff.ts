/**
 * Reconnect delays: exponential with "equal jitter" (half fixed, half random), so a fleet of
 * runners coming back after a worker deploy does not reconnect in lockstep, while each runner's
 * own delays never shrink until a connection succeeds (attempt n+1 waits at least as long as
 * attempt n at most). See https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export class Backoff {
  private attempt = 0

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt, in ms; each call counts one more failure. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30))
    this.attempt += 1
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2)
  }

  /** Failures since the last success. */
  get failures(): number {
    return this.attempt
  }

  /** A connection succeeded: start again from the base delay. */
  reset(): void {
    this.attempt = 0
  }
}
