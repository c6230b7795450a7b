import type { Context } from 'hono'

/** The signed-in admin, as handlers see it. */
export interface SessionUser {
  id: string
  username: string
  sessionId: string
  /** When the session ends at the latest (epoch ms); its live sockets close then. */
  sessionExpiresAt: number
}

/** Hono's environment for every route: bindings from `wrangler types`, per-request variables. */
export interface AppEnv {
  Bindings: Env
  Variables: {
    requestId: string
    user: SessionUser
  }
}

export type AppContext = Context<AppEnv>
