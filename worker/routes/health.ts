import { Hono } from 'hono'
import type { AppEnv } from '../env'

/** Liveness plus a cheap D1 round trip, for uptime checks. */
export const health = new Hono<AppEnv>().get('/', async (c) => {
  const db = await c.env.DB.prepare('select 1 as ok')
    .first<{ ok: number }>()
    .then((r) => r?.ok === 1)
    .catch(() => false)
  return c.json({ ok: db, db }, db ? 200 : 503)
})
