import { and, eq } from 'drizzle-orm'
import { orm } from './client'
import { settings } from './schema'

/** A setting's stored JSON text, or null when it was never saved. */
export async function readSetting(db: D1Database, key: string): Promise<string | null> {
  const row = await orm(db)
    .select({ valueJson: settings.valueJson })
    .from(settings)
    .where(eq(settings.key, key))
    .get()
  return row?.valueJson ?? null
}

/** Save a setting, replacing any previous value. */
export async function writeSetting(
  db: D1Database,
  key: string,
  valueJson: string,
  updatedBy: string,
): Promise<void> {
  const updatedAt = Date.now()
  await orm(db)
    .insert(settings)
    .values({ key, valueJson, updatedBy, updatedAt })
    .onConflictDoUpdate({ target: settings.key, set: { valueJson, updatedBy, updatedAt } })
}

/** Replace an existing setting's value (nothing happens if there is none). */
export async function replaceSetting(
  db: D1Database,
  key: string,
  valueJson: string,
): Promise<void> {
  await orm(db)
    .update(settings)
    .set({ valueJson, updatedAt: Date.now() })
    .where(eq(settings.key, key))
}

/**
 * Replace a setting's value only if it is still `expected`: false when someone wrote it meanwhile
 * (the caller reads it again and retries), so a background rewrite never loses an admin's edit.
 */
export async function replaceSettingIf(
  db: D1Database,
  key: string,
  expected: string,
  valueJson: string,
): Promise<boolean> {
  const result = await orm(db)
    .update(settings)
    .set({ valueJson, updatedAt: Date.now() })
    .where(and(eq(settings.key, key), eq(settings.valueJson, expected)))
    .run()
  return result.meta.changes === 1
}

/**
 * Save a setting unless one exists: the insert decides, so of two racing callers exactly one
 * gets `true`.
 */
export async function insertSettingOnce(
  db: D1Database,
  key: string,
  valueJson: string,
  updatedBy: string,
): Promise<boolean> {
  const result = await orm(db)
    .insert(settings)
    .values({ key, valueJson, updatedBy, updatedAt: Date.now() })
    .onConflictDoNothing({ target: settings.key })
    .run()
  return result.meta.changes === 1
}

/** Remove a setting. */
export async function deleteSetting(db: D1Database, key: string): Promise<void> {
  await orm(db).delete(settings).where(eq(settings.key, key))
}
