import { Hono } from 'hono'
import type { AppEnv } from '../env'

/** Liveness plus a cheap D1 round trip, for uptime checks. */
export const health = new Hono<AppEnv>().get('/', async (c) => {
  const db = await c.env.DB.prepare('select 1 as ok')
    .first<{ ok: number }>()
    .then((r) => r?.ok === 1)
    .catch(() => false)
  // `target` tells the dashboard to say clearly when it drives the local Proxmox simulator.
  return c.json(
    { ok: db, db, target: c.env.TARGET_MODE === 'demo' ? 'simulator' : 'proxmox' },
    db ? 200 : 503,
  )
})
