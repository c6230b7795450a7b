import type { Context } from 'hono'
import type { Principal } from '../core/people'
import type { AccessPass } from './http/access-sign-in'

/** The signed-in account, as handlers see it, with what it is allowed (core/people.ts). */
export interface SessionUser extends Principal {
  id: string
  username: string
  sessionId: string
  /** When the session ends at the latest (epoch ms); its live sockets close then. */
  sessionExpiresAt: number
  /** Set when the request came with an API token instead of a session: the token's name. */
  tokenName?: string
  /** The session's second factor (absent for API tokens). */
  secondFactor?: SecondFactorState
}

export interface SecondFactorState {
  /** The account has a second factor: TOTP turned on, or a passkey. */
  enrolled: boolean
  /** Which second factors the account has, for the dashboard to offer the right ones. */
  methods?: { totp: boolean; passkey: boolean }
  /** The password was right but the code is still owed: only the check is allowed. */
  pending: boolean
  /** When this session last proved it (epoch ms), or null. */
  at: number | null
  /** The owner requires a second factor of everyone, and this account has none yet. */
  mustEnrol: boolean
}

/** Hono's environment for every route: bindings from `wrangler types`, per-request variables. */
export interface AppEnv {
  Bindings: Env
  Variables: {
    requestId: string
    user: SessionUser
    /** What Cloudflare Access vouched for (null: its check is off or does not apply). */
    access: AccessPass | null
  }
}

export type AppContext = Context<AppEnv>
