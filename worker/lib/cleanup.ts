import { CleanupPolicy, DEFAULT_CLEANUP } from '../../core/settings'

export const CLEANUP_SETTINGS_KEY = 'cleanup'

/** The cleanup policy (Settings → Cleanup); the defaults until the admin saves one. */
export async function getCleanupPolicy(db: D1Database): Promise<CleanupPolicy> {
  const row = await db
    .prepare('select value_json from settings where key = ?1')
    .bind(CLEANUP_SETTINGS_KEY)
    .first<{ value_json: string }>()
  if (!row) return DEFAULT_CLEANUP
  const parsed = CleanupPolicy.safeParse(JSON.parse(row.value_json))
  // A row from an older version with fields since removed: fall back to the safe defaults.
  return parsed.success ? parsed.data : DEFAULT_CLEANUP
}

export async function saveCleanupPolicy(
  db: D1Database,
  policy: CleanupPolicy,
  by: string,
): Promise<void> {
  await db
    .prepare(
      `insert into settings (key, value_json, updated_at, updated_by) values (?1, ?2, ?3, ?4)
       on conflict (key) do update set value_json = ?2, updated_at = ?3, updated_by = ?4`,
    )
    .bind(CLEANUP_SETTINGS_KEY, JSON.stringify(policy), Date.now(), by)
    .run()
}
