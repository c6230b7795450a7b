import { Hono } from 'hono'
import { reachable } from '../db/client'
import type { AppEnv } from '../env'

/** Liveness plus a cheap D1 round trip, for uptime checks. */
export const health = new Hono<AppEnv>().get('/', async (c) => {
  const db = await reachable(c.env.DB)
  // `target` tells the dashboard to say clearly when it drives the local Proxmox simulator.
  return c.json(
    { ok: db, db, target: c.env.TARGET_MODE === 'demo' ? 'simulator' : 'proxmox' },
    db ? 200 : 503,
  )
})
