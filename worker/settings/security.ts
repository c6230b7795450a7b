import * as z from 'zod'
import { readSetting, writeSetting } from '../db/settings'

/** Account-wide security choices, owner's to make. */
export const SecurityPolicy = z.object({
  /** Every account must enrol a second factor before it can do anything else. */
  requireSecondFactor: z.boolean({ error: 'must be true or false' }),
})
export type SecurityPolicy = z.infer<typeof SecurityPolicy>

const KEY = 'security'

export async function readSecurityPolicy(db: D1Database): Promise<SecurityPolicy> {
  const raw = await readSetting(db, KEY)
  const parsed = raw ? SecurityPolicy.safeParse(JSON.parse(raw)) : null
  return parsed?.success ? parsed.data : { requireSecondFactor: false }
}

export async function writeSecurityPolicy(
  db: D1Database,
  policy: SecurityPolicy,
  by: string,
): Promise<void> {
  await writeSetting(db, KEY, JSON.stringify(policy), by)
}
