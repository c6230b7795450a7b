import { AlertTiming, DEFAULT_ALERT_TIMING } from '../../core/alerts'
import { readSetting, writeSetting } from '../db/settings'

/** Settings → Alerts' waits (server down grace, runner offline), one settings row of their own. */
export const ALERT_TIMING_KEY = 'alert-timing'

export async function readAlertTiming(env: Env): Promise<AlertTiming> {
  const text = await readSetting(env.DB, ALERT_TIMING_KEY)
  if (text === null) return DEFAULT_ALERT_TIMING
  const parsed = AlertTiming.safeParse(JSON.parse(text))
  return parsed.success ? parsed.data : DEFAULT_ALERT_TIMING
}

export async function writeAlertTiming(env: Env, timing: AlertTiming, by: string): Promise<void> {
  await writeSetting(env.DB, ALERT_TIMING_KEY, JSON.stringify(timing), by)
}

/**
 * The length of one of those minutes, in milliseconds: 60 000, except where a test shortens it
 * (`ALERT_MINUTE_MS`), so the grace and the offline wait are still the ones Settings holds.
 */
export function alertMinuteMs(env: Env): number {
  const n = Number(env.ALERT_MINUTE_MS)
  return Number.isInteger(n) && n > 0 ? n : 60_000
}

/** The waits in milliseconds. */
export async function alertWaitsMs(env: Env): Promise<{ graceMs: number; offlineMs: number }> {
  const timing = await readAlertTiming(env)
  const minute = alertMinuteMs(env)
  return {
    graceMs: timing.serverDownGraceMinutes * minute,
    offlineMs: timing.runnerOfflineMinutes * minute,
  }
}
