import { DurableObject } from 'cloudflare:workers'

/**
 * One sign-in throttle: an account (`account:<username>`) or an address (`address:<ip>`). A
 * Durable Object runs one call at a time, so "may this try be checked?" and "a try is being
 * checked" are one atomic step: fifty parallel guesses cannot all pass a check made before any of
 * them failed. Each failure doubles the wait before the next try is even looked at, up to a cap;
 * a try during the wait is refused unchecked, and a right password after the wait works.
 * A success, or an hour without failures, forgets everything.
 */

/** How long a try may take to be checked before its slot is given up (a crashed request). */
export const PENDING_MS = 10_000
/** Failures older than this, with none since, are forgotten. */
export const FORGET_MS = 60 * 60_000

/** The waits, from wrangler vars (http/throttle.ts reads them). */
export interface BackoffPolicy {
  /** The wait after the first failure; each further failure doubles it. */
  baseMs: number
  /** The longest wait. */
  maxMs: number
}

export type Acquired = { ok: true } | { ok: false; retryAfterMs: number }

interface ThrottleState {
  failures: number
  /** No try is checked before this (epoch ms). */
  nextAt: number
  /** A try is being checked until this (epoch ms), or 0. */
  pendingUntil: number
  lastFailureAt: number
}

const EMPTY: ThrottleState = { failures: 0, nextAt: 0, pendingUntil: 0, lastFailureAt: 0 }

export class LoginThrottle extends DurableObject<Env> {
  private load(): ThrottleState {
    return this.ctx.storage.kv.get<ThrottleState>('state') ?? { ...EMPTY }
  }

  /**
   * Ask to check one try. Refused while the wait runs or while another try is being checked;
   * granted otherwise, and then the slot is held until `settle` (or PENDING_MS).
   */
  acquire(): Acquired {
    const now = Date.now()
    const state = this.load()
    const until = Math.max(state.nextAt, state.pendingUntil)
    if (until > now) return { ok: false, retryAfterMs: until - now }
    state.pendingUntil = now + PENDING_MS
    this.ctx.storage.kv.put('state', state)
    return { ok: true }
  }

  /**
   * The outcome of a granted try: `success` forgets every failure, `failure` counts one and
   * starts the doubled wait, `unchecked` (another throttle refused it) only frees the slot.
   */
  async settle(
    outcome: 'success' | 'failure' | 'unchecked',
    policy: BackoffPolicy,
  ): Promise<{ retryAfterMs: number }> {
    const now = Date.now()
    const state = this.load()
    if (outcome === 'success' || (outcome === 'unchecked' && state.failures === 0)) {
      await this.ctx.storage.deleteAll()
      return { retryAfterMs: 0 }
    }
    state.pendingUntil = 0
    if (outcome === 'failure') {
      state.failures += 1
      state.lastFailureAt = now
      const wait = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(state.failures - 1, 30))
      state.nextAt = now + wait
      await this.ctx.storage.setAlarm(now + FORGET_MS)
    }
    this.ctx.storage.kv.put('state', state)
    return { retryAfterMs: Math.max(0, state.nextAt - now) }
  }

  override async alarm(): Promise<void> {
    const state = this.load()
    if (Date.now() - state.lastFailureAt >= FORGET_MS) await this.ctx.storage.deleteAll()
    else await this.ctx.storage.setAlarm(state.lastFailureAt + FORGET_MS)
  }
}
