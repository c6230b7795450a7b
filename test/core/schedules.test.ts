import { describe, expect, it } from 'vitest'
import {
  nextRun,
  pruneSelection,
  Schedule,
  ScheduleList,
  zonedInstant,
  type Prunable,
} from '../../core/schedules'

const iso = (ms: number) => new Date(ms).toISOString()
const at = (s: string) => Date.parse(s)

describe('when a schedule next comes due', () => {
  it('daily at 04:00 in Paris is 03:00 UTC in winter, and the next day once passed', () => {
    const s = { when: { every: 'day', at: '04:00' }, timeZone: 'Europe/Paris' } as const
    expect(iso(nextRun(s, 0, at('2026-12-04T02:00:00Z')))).toBe('2026-12-04T03:00:00.000Z')
    expect(iso(nextRun(s, 0, at('2026-12-04T03:00:00Z')))).toBe('2026-12-05T03:00:00.000Z')
    // Summer time: 04:00 in Paris is 02:00 UTC.
    expect(iso(nextRun(s, 0, at('2026-07-01T12:00:00Z')))).toBe('2026-07-02T02:00:00.000Z')
  })

  it('a time the spring-forward night skips runs an hour later; one shown twice runs once', () => {
    const spring = { when: { every: 'day', at: '02:30' }, timeZone: 'Europe/Paris' } as const
    // 29 March 2026: 02:00 → 03:00 in Paris; 02:30 does not exist, 03:30 CEST is 01:30 UTC.
    expect(iso(nextRun(spring, 0, at('2026-03-28T23:00:00Z')))).toBe('2026-03-29T01:30:00.000Z')
    // 25 October 2026: 03:00 → 02:00; 02:30 happens twice, the first (CEST) is 00:30 UTC.
    const first = nextRun(spring, 0, at('2026-10-24T22:00:00Z'))
    expect(iso(first)).toBe('2026-10-25T00:30:00.000Z')
    expect(iso(nextRun(spring, 0, first))).toBe('2026-10-26T01:30:00.000Z')
  })

  it('weekly on a weekday, in the admin’s zone', () => {
    const s = {
      when: { every: 'week', day: 0, at: '05:00' },
      timeZone: 'America/New_York',
    } as const
    // Friday 4 December 2026 → Sunday 6 December, 05:00 EST = 10:00 UTC.
    expect(iso(nextRun(s, 0, at('2026-12-04T12:00:00Z')))).toBe('2026-12-06T10:00:00.000Z')
    expect(iso(nextRun(s, 0, at('2026-12-06T10:00:00Z')))).toBe('2026-12-13T10:00:00.000Z')
  })

  it('every N hours counts from when it was saved, with a shortened minute in tests', () => {
    const s = { when: { every: 'hours', hours: 6 }, timeZone: 'UTC' } as const
    const anchor = at('2026-12-04T01:15:00Z')
    expect(iso(nextRun(s, anchor, anchor))).toBe('2026-12-04T07:15:00.000Z')
    expect(iso(nextRun(s, anchor, at('2026-12-04T19:20:00Z')))).toBe('2026-12-05T01:15:00.000Z')
    // A 100 ms minute: every hour is 6 s.
    const hourly = { when: { every: 'hours', hours: 1 }, timeZone: 'UTC' } as const
    expect(nextRun(hourly, 1_000, 1_000, 100)).toBe(7_000)
    expect(nextRun(hourly, 1_000, 13_500, 100)).toBe(19_000)
  })

  it('zonedInstant reads wall time in the zone', () => {
    const l = { year: 2026, month: 12, day: 4, hour: 4, minute: 0 }
    expect(iso(zonedInstant(l, 'Asia/Tokyo'))).toBe('2026-12-03T19:00:00.000Z')
    expect(iso(zonedInstant(l, 'UTC'))).toBe('2026-12-04T04:00:00.000Z')
  })
})

describe('what an admin may write', () => {
  const base = { id: crypto.randomUUID(), timeZone: 'Europe/Paris', enabled: true }

  it('names the field that is wrong', () => {
    const badZone = Schedule.safeParse({
      ...base,
      action: 'backup',
      when: { every: 'day', at: '04:00' },
      timeZone: 'Mars/Olympus',
    })
    expect(badZone.success).toBe(false)
    expect(badZone.error?.issues[0]?.path).toEqual(['timeZone'])
    expect(badZone.error?.issues[0]?.message).toMatch(/time zone/)

    const badTime = Schedule.safeParse({
      ...base,
      action: 'restart',
      when: { every: 'day', at: '25:00' },
    })
    expect(badTime.error?.issues[0]?.message).toMatch(/time of day/)

    const keepOnRestart = Schedule.safeParse({
      ...base,
      action: 'restart',
      when: { every: 'day', at: '05:00' },
      keep: { daily: 7, weekly: 4 },
    })
    expect(keepOnRestart.error?.issues[0]?.path).toEqual(['keep'])
  })

  it('at most ten schedules, each id once', () => {
    const one = { ...base, action: 'backup', when: { every: 'hours', hours: 6 } }
    expect(ScheduleList.safeParse([one, one]).success).toBe(false)
    const many = Array.from({ length: 11 }, () => ({ ...one, id: crypto.randomUUID() }))
    expect(ScheduleList.safeParse(many).error?.issues[0]?.message).toMatch(/at most 10/)
  })
})

describe('retention', () => {
  const day = 86_400_000
  const start = at('2026-10-01T02:00:00Z')
  // One scheduled backup a day for 60 days, two on the last day, a manual one and a protected one.
  const backups: Prunable[] = Array.from({ length: 60 }, (_, i) => ({
    volid: `local:backup/s${i}`,
    createdAt: start + i * day,
    kind: 'scheduled' as const,
    protected: false,
  }))
  backups.push({
    volid: 'local:backup/s59b',
    createdAt: start + 59 * day + 3_600_000,
    kind: 'scheduled',
    protected: false,
  })
  backups.push({ volid: 'local:backup/manual', createdAt: start, kind: 'manual', protected: false })
  backups.push({
    volid: 'local:backup/safety',
    createdAt: start + day,
    kind: 'safety',
    protected: false,
  })
  backups.push({
    volid: 'local:backup/kept',
    createdAt: start + 2 * day,
    kind: 'scheduled',
    protected: true,
  })

  it('keeps the newest of each of the last 7 days, then one for each of 4 earlier weeks', () => {
    const { keep, remove } = pruneSelection(backups, { daily: 7, weekly: 4 }, 'UTC')
    const keptScheduled = keep.filter((v) => /s\d+b?$/.test(v)).sort()
    // Days 53–59 (Monday 23 to Sunday 29 November; the later of day 59's two), then the newest
    // of each of the 4 weeks before: the Sundays 22, 15, 8 and 1 November.
    const daily = ['s53', 's54', 's55', 's56', 's57', 's58', 's59b']
    const weekly = ['s52', 's45', 's38', 's31']
    expect(keptScheduled).toEqual([...daily, ...weekly].map((v) => `local:backup/${v}`).sort())
    expect(remove).toContain('local:backup/s59')
    expect(remove).toContain('local:backup/s0')
    // Never the admin's own, the safety backups or a protected one.
    for (const v of ['local:backup/manual', 'local:backup/safety', 'local:backup/kept'])
      expect(keep).toContain(v)
    expect(keep.length + remove.length).toBe(backups.length)
  })

  it('nothing kept daily or weekly removes every unprotected scheduled backup', () => {
    const { remove } = pruneSelection(backups, { daily: 0, weekly: 0 }, 'UTC')
    expect(remove).toHaveLength(61)
  })
})
