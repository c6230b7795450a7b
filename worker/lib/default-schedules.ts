import { ScheduleList, type Schedule } from '../../core/schedules'
import { readSetting, writeSetting } from '../db/settings'

export const SCHEDULES_SETTINGS_KEY = 'default_schedules'

/**
 * The schedules every new deployment starts with (Settings → Schedules for new servers); none
 * until the admin saves some.
 */
export async function getDefaultSchedules(db: D1Database): Promise<Schedule[]> {
  const json = await readSetting(db, SCHEDULES_SETTINGS_KEY)
  if (json === null) return []
  const parsed = ScheduleList.safeParse(JSON.parse(json))
  return parsed.success ? parsed.data : []
}

export async function saveDefaultSchedules(
  db: D1Database,
  schedules: Schedule[],
  by: string,
): Promise<void> {
  await writeSetting(db, SCHEDULES_SETTINGS_KEY, JSON.stringify(schedules), by)
}

/** A deployment's own copies of the defaults: each with a fresh id, so editing one changes one. */
export function copiesOf(defaults: readonly Schedule[]): Schedule[] {
  return defaults.map((s) => ({ ...s, id: crypto.randomUUID() }))
}
