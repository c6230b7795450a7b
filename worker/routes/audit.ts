import { desc, lt } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/d1'
import { Hono } from 'hono'
import { z } from 'zod'
import { auditLog } from '../db/schema'
import type { AppEnv } from '../env'
import { validate } from '../http/validate'

const AuditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** Page backwards: only rows with an id below this. */
  before: z.coerce.number().int().positive().optional(),
})

export const auditRoutes = new Hono<AppEnv>().get('/', validate('query', AuditQuery), async (c) => {
  const { limit, before } = c.req.valid('query')
  const rows = await drizzle(c.env.DB)
    .select({
      id: auditLog.id,
      at: auditLog.at,
      actor: auditLog.actor,
      action: auditLog.action,
      target: auditLog.target,
      ip: auditLog.ip,
      detailsJson: auditLog.detailsJson,
    })
    .from(auditLog)
    .where(before === undefined ? undefined : lt(auditLog.id, before))
    .orderBy(desc(auditLog.id))
    .limit(limit)
    .all()
  return c.json({
    entries: rows.map(({ detailsJson, ...r }) => ({
      ...r,
      details: detailsJson === null ? null : (JSON.parse(detailsJson) as unknown),
    })),
    nextBefore: rows.length === limit ? rows.at(-1)?.id : undefined,
  })
})
