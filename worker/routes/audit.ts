import { Hono } from 'hono'
import { z } from 'zod'
import { auditPage } from '../db/audit-log'
import type { AppEnv } from '../env'
import { validate } from '../http/validate'

const AuditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** Page backwards: only rows with an id below this. */
  before: z.coerce.number().int().positive().optional(),
})

export const auditRoutes = new Hono<AppEnv>().get('/', validate('query', AuditQuery), async (c) => {
  const { limit, before } = c.req.valid('query')
  const entries = await auditPage(c.env.DB, limit, before)
  return c.json({
    entries,
    nextBefore: entries.length === limit ? entries.at(-1)?.id : undefined,
  })
})
