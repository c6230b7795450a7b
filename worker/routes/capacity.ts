import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { readCapacity } from '../lib/capacity'

/**
 * What the node and storage new VMs go on have free, for the new-deployment form. Read by a
 * runner and cached for a few seconds by the hub, so a form being typed in does not flood it.
 */
export const capacityRoutes = new Hono<AppEnv>().get('/', async (c) =>
  c.json({ capacity: await readCapacity(c.env) }),
)
