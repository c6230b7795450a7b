import { drizzle } from 'drizzle-orm/d1'
import { auditLog } from '../db/schema'
import type { AppContext } from '../env'
import { clientIp, userAgent } from './request'

/** An audit row, prepared so callers can batch it with the change it records. */
export function auditEntry(
  c: AppContext,
  action: string,
  entry: { target?: string | null; details?: unknown; actor?: string; userId?: string | null } = {},
) {
  const user = c.get('user') as AppContext['var']['user'] | undefined
  return drizzle(c.env.DB)
    .insert(auditLog)
    .values({
      action,
      actor: entry.actor ?? user?.username ?? 'anonymous',
      userId: entry.userId ?? user?.id ?? null,
      target: entry.target ?? null,
      ip: clientIp(c),
      userAgent: userAgent(c),
      detailsJson: entry.details === undefined ? null : JSON.stringify(entry.details),
    })
}

/** Record who did what, when, from where. */
export async function audit(
  c: AppContext,
  action: string,
  entry?: Parameters<typeof auditEntry>[2],
): Promise<void> {
  await auditEntry(c, action, entry)
}

/**
 * An audit row for what the system did on its own (a cleanup policy, the sweep): no request.
 * Prepared, so callers can batch it with the change it records.
 */
export function systemAuditEntry(
  db: D1Database,
  action: string,
  entry: { target?: string | null; details?: unknown } = {},
) {
  return drizzle(db)
    .insert(auditLog)
    .values({
      action,
      actor: 'system',
      userId: null,
      target: entry.target ?? null,
      ip: null,
      userAgent: null,
      detailsJson: entry.details === undefined ? null : JSON.stringify(entry.details),
    })
}

/** Record what the system did on its own. */
export async function systemAudit(
  db: D1Database,
  action: string,
  entry: { target?: string | null; details?: unknown } = {},
): Promise<void> {
  await systemAuditEntry(db, action, entry)
}
