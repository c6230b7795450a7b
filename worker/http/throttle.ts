import * as z from 'zod'
import type { Acquired, BackoffPolicy } from '../do/login-throttle'
import type { AppContext } from '../env'
import { ApiError } from './errors'
import { clientIp } from './request'

export const LOGIN_FAILED_ACTION = 'auth.login_failed'

const Ms = z.coerce.number().int().min(0).max(86_400_000)
/** The waits from wrangler vars; a missing or bad value falls back to the product's default. */
const Backoff = z.object({
  LOGIN_BACKOFF_BASE_MS: Ms.catch(1_000),
  LOGIN_BACKOFF_ACCOUNT_MAX_MS: Ms.catch(60_000),
  LOGIN_BACKOFF_ADDRESS_MAX_MS: Ms.catch(900_000),
})

/**
 * The waits for an account and for an address. An account's is capped low (a minute): anyone may
 * fail on it, and its real owner must not be kept out for long. An address's grows longer (15
 * minutes), so one source can neither guess quickly nor keep the account's wait up for long.
 */
export function backoffPolicies(env: Env): { account: BackoffPolicy; address: BackoffPolicy } {
  const v = Backoff.parse(env)
  return {
    account: { baseMs: v.LOGIN_BACKOFF_BASE_MS, maxMs: v.LOGIN_BACKOFF_ACCOUNT_MAX_MS },
    address: { baseMs: v.LOGIN_BACKOFF_BASE_MS, maxMs: v.LOGIN_BACKOFF_ADDRESS_MAX_MS },
  }
}

function throttle(env: Env, key: string) {
  return env.LOGIN_THROTTLE.get(env.LOGIN_THROTTLE.idFromName(key))
}

function tooMany(retryAfterMs: number): ApiError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000))
  return new ApiError(
    429,
    'too_many_attempts',
    `Too many failed attempts. Wait ${seconds} s before trying again.`,
    {
      headers: { 'Retry-After': String(seconds) },
      details: { retryAfterSeconds: seconds, retryAfterMs },
    },
  )
}

/** A try that its throttles let through: say how it ended, exactly once. */
export interface Attempt {
  succeeded(): Promise<void>
  failed(): Promise<void>
  /** Ended before the secret was checked (another error): frees the slot, counts nothing. */
  abandoned(): Promise<void>
}

/**
 * Take the slot for one sign-in (or setup-code) try from the address's throttle, then the
 * account's if `username` is given, or answer 429 with Retry-After. The address goes first, so
 * parallel tries from one source stop there, and sources racing for one account cannot each hold
 * the other's slot.
 */
export async function beginAttempt(c: AppContext, username?: string): Promise<Attempt> {
  const policies = backoffPolicies(c.env)
  const keys: { stub: ReturnType<typeof throttle>; policy: BackoffPolicy }[] = []
  const candidates = [
    { key: `address:${clientIp(c)}`, policy: policies.address },
    ...(username === undefined ? [] : [{ key: `account:${username}`, policy: policies.account }]),
  ]
  for (const { key, policy } of candidates) {
    const stub = throttle(c.env, key)
    const got: Acquired = await stub.acquire()
    if (!got.ok) {
      await Promise.all(keys.map((k) => k.stub.settle('unchecked', k.policy)))
      throw tooMany(got.retryAfterMs)
    }
    keys.push({ stub, policy })
  }
  let settled = false
  const settle = async (outcome: 'success' | 'failure' | 'unchecked') => {
    if (settled) return
    settled = true
    await Promise.all(keys.map((k) => k.stub.settle(outcome, k.policy)))
  }
  return {
    succeeded: () => settle('success'),
    failed: () => settle('failure'),
    abandoned: () => settle('unchecked'),
  }
}
