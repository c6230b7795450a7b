import { CleanupPolicy, DEFAULT_CLEANUP } from '../../core/settings'
import { readSetting, writeSetting } from '../db/settings'

export const CLEANUP_SETTINGS_KEY = 'cleanup'

/** The cleanup policy (Settings → Cleanup); the defaults until the admin saves one. */
export async function getCleanupPolicy(db: D1Database): Promise<CleanupPolicy> {
  const json = await readSetting(db, CLEANUP_SETTINGS_KEY)
  if (json === null) return DEFAULT_CLEANUP
  const parsed = CleanupPolicy.safeParse(JSON.parse(json))
  // A row from an older version with fields since removed: fall back to the safe defaults.
  return parsed.success ? parsed.data : DEFAULT_CLEANUP
}

export async function saveCleanupPolicy(
  db: D1Database,
  policy: CleanupPolicy,
  by: string,
): Promise<void> {
  await writeSetting(db, CLEANUP_SETTINGS_KEY, JSON.stringify(policy), by)
}
