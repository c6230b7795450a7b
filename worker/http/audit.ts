import { auditInsert } from '../db/audit-log'
import type { AppContext } from '../env'
import { clientIp, userAgent } from './request'

/**
 * An audit row for what the request's user did, from the request's address, prepared so callers
 * can batch it with the change it records.
 */
export function auditEntry(
  c: AppContext,
  action: string,
  entry: { target?: string | null; details?: unknown; actor?: string; userId?: string | null } = {},
) {
  const user = c.get('user') as AppContext['var']['user'] | undefined
  return auditInsert(c.env.DB, {
    action,
    actor:
      entry.actor ??
      (user?.tokenName ? `${user.username} (token ${user.tokenName})` : user?.username) ??
      'anonymous',
    userId: entry.userId ?? user?.id ?? null,
    target: entry.target ?? null,
    ip: clientIp(c),
    userAgent: userAgent(c),
    details: entry.details,
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
