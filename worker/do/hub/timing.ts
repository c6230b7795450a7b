/** When the hub's rounds run: rounds that never overlap, and the runners' intervals. */

const DEFAULT_STATUS_INTERVAL_MS = 30_000
const DEFAULT_HEARTBEAT_INTERVAL_MS = 10_000
const DEFAULT_SWEEP_INTERVAL_MS = 600_000

/**
 * `run` as a call that never overlaps itself: a call during a round makes the round go once
 * more and returns at once; otherwise it returns the round.
 */
export function coalesced(run: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null
  let again = false
  return () => {
    if (running) {
      again = true
      return Promise.resolve()
    }
    running = (async () => {
      try {
        do {
          again = false
          await run()
        } while (again)
      } finally {
        running = null
      }
    })()
    return running
  }
}

function intervalVar(value: string | undefined, fallback: number, min: number): number {
  const n = Number(value)
  return Number.isFinite(n) && n >= min ? Math.round(n) : fallback
}

/** `STATUS_INTERVAL_MS`: how often a runner refreshes the live status of what it watches. */
export function statusIntervalMs(env: Env): number {
  return intervalVar(env.STATUS_INTERVAL_MS, DEFAULT_STATUS_INTERVAL_MS, 100)
}

/** `SWEEP_INTERVAL_MS`, or the default when unset or not a number ≥ 0 (0: never sweep). */
export function sweepIntervalMs(env: Env): number {
  return intervalVar(env.SWEEP_INTERVAL_MS, DEFAULT_SWEEP_INTERVAL_MS, 0)
}

/**
 * `HEARTBEAT_INTERVAL_MS`: how often runners ping the hub (the welcome frame tells them); a runner
 * not heard from for three intervals is offline, and its silent socket is closed.
 */
export function heartbeatIntervalMs(env: Env): number {
  return intervalVar(env.HEARTBEAT_INTERVAL_MS, DEFAULT_HEARTBEAT_INTERVAL_MS, 100)
}

/** A runner is offline after three heartbeat intervals of silence. */
export function offlineAfterMs(env: Env): number {
  return 3 * heartbeatIntervalMs(env)
}
