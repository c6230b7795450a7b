import { and, asc, desc, eq, inArray, lt } from 'drizzle-orm'
import { orm } from './client'
import { auditLog } from './schema'

/** Who did what to what, from where; `details` is stored as JSON. */
export interface AuditRow {
  action: string
  actor: string
  userId: string | null
  target: string | null
  ip: string | null
  userAgent: string | null
  details?: unknown
}

/** The insert of an audit row, not yet run: callers may batch it with the change it records. */
export function auditInsert(db: D1Database, row: AuditRow) {
  const { details, ...rest } = row
  return orm(db)
    .insert(auditLog)
    .values({ ...rest, detailsJson: details === undefined ? null : JSON.stringify(details) })
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
  return auditInsert(db, {
    action,
    actor: 'system',
    userId: null,
    target: entry.target ?? null,
    ip: null,
    userAgent: null,
    details: entry.details,
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

/** One page of the audit log, newest first, with ids below `before` when given. */
export async function auditPage(db: D1Database, limit: number, before: number | undefined) {
  const rows = await orm(db)
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
  return rows.map(({ detailsJson, ...r }) => ({
    ...r,
    details: detailsJson === null ? null : (JSON.parse(detailsJson) as unknown),
  }))
}

/** The audit rows of `actions` on one target, oldest first (their details parsed). */
export async function auditOfTarget(db: D1Database, target: string, actions: readonly string[]) {
  const rows = await orm(db)
    .select({ action: auditLog.action, detailsJson: auditLog.detailsJson })
    .from(auditLog)
    .where(and(eq(auditLog.target, target), inArray(auditLog.action, [...actions])))
    .orderBy(asc(auditLog.id))
    .all()
  return rows.map(({ action, detailsJson }) => ({
    action,
    details: detailsJson === null ? null : (JSON.parse(detailsJson) as unknown),
  }))
}
