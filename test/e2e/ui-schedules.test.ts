import { describe, expect, it } from 'vitest'
import type { BannerBackend } from '../pve-sim/backend'
import { screenshot } from './browser'
import { readyDeployment, useUiSimScene } from './fixtures'
import { waitFor } from './stack'

/**
 * Scheduled backups end to end: wrangler dev with an hour shortened to 6 s, a runner with the real
 * executors, the Proxmox simulator's vzdump and storage. Written in the browser; fired by the
 * deployment's alarm as real backup jobs; retention (keep 1 daily) removes the older scheduled
 * backup and never the manual one; the card shows the next and the last run, in both languages.
 */
const scene = useUiSimScene({
  vars: ['SCHEDULE_MINUTE_MS:100'],
  sim: { timing: { backupMs: 200 } },
  runnerEnv: { RUNNER_ADDRESS: '127.0.0.1' },
})

interface Schedules {
  schedules: { id: string; last?: { outcome: string; jobId?: string } }[]
}

const archives = () => [...scene.sim.cluster.volumes.values()].filter((v) => v.content === 'backup')

describe('scheduled backups', () => {
  it('runs from the alarm, keeps what retention says, and shows each run', async () => {
    const { id } = await readyDeployment(scene.api, 'scheduled world', {
      eula: true,
      rconEnabled: true,
    })
    // A manual backup first: retention must leave it alone.
    await scene.api.ok('POST', `/api/deployments/${id}/backups`)
    await waitFor(
      async () => archives().length === 1 && (await statusOf(id)) === 'ready',
      'the manual backup',
      60_000,
      200,
    )

    const page = await scene.openPage(`/deployments/${id}`)
    const card = page.locator('section.schedules')
    await card.getByTestId('schedules-empty').waitFor()
    await card.getByRole('button', { name: 'Add a schedule' }).click()
    const form = card.locator('form.schedule-form')
    await form.getByLabel('Repeat').selectOption('hours')
    await form.getByLabel('Every how many hours').fill('1')
    await form.getByLabel('Daily backups to keep').fill('1')
    await form.getByLabel('Weekly backups to keep').fill('0')
    await screenshot(page, 'schedules-form-en')
    await form.getByRole('button', { name: 'Save schedule' }).click()
    await card.getByText('Schedules saved.').waitFor()
    await expect
      .poll(() => card.locator('tbody').textContent(), { timeout: 15_000 })
      .toContain('Back up — Every hour; keeps the last 1 daily and 0 weekly backups')

    // Two scheduled runs (6 s apart): after the second, only its backup and the manual one remain.
    const runs = new Set<string>()
    await waitFor(
      async () => {
        const list = await scene.api.ok<Schedules>('GET', `/api/deployments/${id}/schedules`)
        const last = list.schedules[0]?.last
        if (last?.outcome === 'succeeded' && last.jobId) runs.add(last.jobId)
        if (last?.outcome === 'failed') throw new Error(`a scheduled backup failed`)
        return runs.size >= 2
      },
      'two scheduled backups',
      90_000,
      250,
    )
    await waitFor(async () => (await statusOf(id)) === 'ready', 'ready again', 30_000, 200)
    const kinds = archives().map((v) => /pgd \S+ \S+ (\w+)/.exec(v.notes ?? '')?.[1])
    expect(kinds.sort()).toEqual(['manual', 'scheduled'])
    // The oldest scheduled backup is the one retention removed (a later run may have come since).
    const oldest = [...runs][0]!
    expect(archives().some((v) => v.notes?.includes(oldest))).toBe(false)
    await expect
      .poll(() => card.locator('tbody').textContent(), { timeout: 15_000 })
      .toMatch(/Succeeded/)
    await screenshot(page, 'schedules-card-en')

    // Paused from the card: no run comes due.
    await card.getByRole('button', { name: 'Pause' }).click()
    await expect
      .poll(() => card.locator('tbody').textContent(), { timeout: 15_000 })
      .toContain('Paused')

    // French, at phone width: the card's table becomes one block per schedule.
    const fr = await scene.openPage(`/deployments/${id}`, { lang: 'fr', width: 390, height: 844 })
    const frCard = fr.locator('section.schedules')
    await expect
      .poll(() => frCard.locator('tbody').textContent(), { timeout: 15_000 })
      .toContain('Sauvegarder — Toutes les heures')
    await expect
      .poll(() => frCard.locator('tbody').textContent(), { timeout: 15_000 })
      .toContain('En pause')
    await frCard.scrollIntoViewIfNeeded()
    await screenshot(fr, 'schedules-card-fr-phone')
  })

  it('restarts on schedule, warning the players through the console first, in order', async () => {
    const { id, vmid } = await readyDeployment(scene.api, 'scheduled restart', {
      eula: true,
      rconEnabled: true,
    })
    const world = (scene.sim.cluster.opts.backend as BannerBackend).worldOf(vmid)
    const schedule = {
      id: crypto.randomUUID(),
      action: 'restart',
      when: { every: 'hours', hours: 1 },
      timeZone: 'UTC',
      enabled: true,
    }
    await scene.api.ok('PUT', `/api/deployments/${id}/schedules`, { schedules: [schedule] })
    await waitFor(
      async () => {
        const list = await scene.api.ok<Schedules>('GET', `/api/deployments/${id}/schedules`)
        const last = list.schedules[0]?.last
        if (last?.outcome === 'failed') throw new Error('the scheduled restart failed')
        return last?.outcome === 'succeeded'
      },
      'a scheduled restart',
      60_000,
      200,
    )
    await scene.api.ok('PUT', `/api/deployments/${id}/schedules`, {
      schedules: [{ ...schedule, enabled: false }],
    })
    expect(world.commands.filter((c) => c.startsWith('say ')).slice(0, 3)).toEqual([
      'say The server restarts in 10 minutes.',
      'say The server restarts in 1 minute.',
      'say The server restarts in 10 seconds.',
    ])
    expect(await statusOf(id)).toBe('ready')
    const page = await scene.openPage(`/deployments/${id}`)
    await page.locator('.timeline li.step-done[data-step="warn_players"]').waitFor()
    await expect
      .poll(() => page.locator('.log-pane').textContent(), { timeout: 10_000 })
      .toContain('players warned: The server restarts in 10 seconds.')
    await screenshot(page, 'schedules-restart-en')
  })
})

async function statusOf(id: string): Promise<string> {
  const d = await scene.api.ok<{ deployment: { status: string } }>('GET', `/api/deployments/${id}`)
  return d.deployment.status
}
