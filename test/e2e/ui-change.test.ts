import { describe, expect, it } from 'vitest'
import { pingMinecraft } from '../../runner/src/games/slp'
import type { BannerBackend } from '../pve-sim/backend'
import { join } from 'node:path'
import { SCREENSHOTS, screenshot } from './browser'
import { statusIs, useUiSimScene } from './fixtures'
import { waitFor } from './stack'

/**
 * Changing a server from the dashboard: wrangler dev, a runner with the real executors, the
 * Proxmox simulator. Edit opens the generated form prefilled with the server's settings; Review
 * shows what will change and what it costs; Apply runs the change and the game answers with the
 * new settings. A change whose game does not come back is rolled back, and the card says so, in
 * English and French.
 */
const scene = useUiSimScene({
  runnerEnv: { RUNNER_VERIFY_TIMEOUT_MS: '3000', RUNNER_ADDRESS: '127.0.0.1' },
})

interface Detail {
  deployment: {
    id: string
    status: string
    ip: string
    lastJob: { kind: string; rolledBack?: boolean; endedAt: number } | null
  }
}

const CONFIG = { eula: true, version: '1.21.4', motd: 'Before the edit', maxPlayers: 20 }
const ping = (ip: string) => pingMinecraft({ host: ip, port: 25_565, timeoutMs: 2_000 })

async function readyMinecraft(
  name: string,
  extra: Record<string, unknown> = {},
): Promise<Detail['deployment']> {
  const created = await scene.api.ok<Detail>('POST', '/api/deployments', {
    name,
    game: 'minecraft',
    config: { ...CONFIG, ...extra },
  })
  return waitFor(
    async () => {
      const d = await scene.api.ok<Detail>('GET', `/api/deployments/${created.deployment.id}`)
      if (d.deployment.status === 'failed')
        throw new Error(`the deploy failed: ${JSON.stringify(d).slice(0, 2000)}`)
      return d.deployment.status === 'ready' ? d.deployment : null
    },
    `${name} ready`,
    90_000,
    200,
  )
}

describe('changing a server in the dashboard', () => {
  it('edits a ready server: the form prefilled, the diff and its cost, then applied', async () => {
    // Its console is on: a change of the operators alone is applied live (below).
    const d = await readyMinecraft('edit world', { rconEnabled: true })
    const page = await scene.openPage(`/deployments/${d.id}`)
    await page.getByRole('button', { name: 'Edit', exact: true }).click()
    const form = page.locator('section.edit-deployment')
    const motd = form.getByLabel('Message of the day')
    expect(await motd.inputValue()).toBe('Before the edit')
    expect(await form.locator('[name="config.version"]').inputValue()).toBe('1.21.4')
    await motd.fill('After the edit')
    await form.getByLabel('Max players').fill('40')
    await form.getByLabel('Memory (MiB)').fill('6144')
    await form.locator('[name="config.version"]').fill('1.21.5')
    await form.getByRole('button', { name: 'Review the changes' }).click()
    const diff = form.locator('table.diff')
    await diff.waitFor()
    expect(await diff.locator('tr[data-key="motd"]').textContent()).toBe(
      'Message of the dayBefore the editAfter the edit',
    )
    expect(await diff.locator('tbody tr').count()).toBe(4)
    const costs = await form.locator('ul.costs').textContent()
    expect(costs).toContain('The VM restarts for its new CPU or memory')
    expect(costs).toContain('Only a rollback to the snapshot undoes it')
    await screenshot(page, 'change-edit-diff-en')

    await form.getByRole('button', { name: 'Apply the changes' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Apply the changes' }).click()
    await statusIs(page, 'Changing')
    await statusIs(page, 'Ready', 60_000)
    await expect
      .poll(() => ping(d.ip).then((s) => `${s.motd} ${s.playersMax} ${s.version}`))
      .toBe('After the edit 40 1.21.5')
    await expect.poll(() => page.locator('.result').textContent()).toContain('6 GiB RAM')

    // The change took a snapshot: listed with its time and the change it came before.
    const snaps = page.locator('section.snapshots')
    const row = snaps.locator('tr[data-snapshot^="pgd-change-"]')
    await row.waitFor()
    expect(await snaps.getByTestId('snapshots-kept').textContent()).toBe('Kept: 1 of 3')
    expect(await row.textContent()).toContain('the change: Memory (MiB): 4096 → 6144; ')
    expect(await row.textContent()).toContain(
      'Message of the day: Before the edit → After the edit',
    )
    expect(await row.locator('time').count()).toBe(1)
    const snapName = (await row.getAttribute('data-snapshot')) ?? ''
    await snaps.screenshot({ path: join(SCREENSHOTS, 'snapshots-en.png') })

    // In French at phone width; deleting it asks first, then it is gone from Proxmox too.
    const fr = await scene.openPage(`/deployments/${d.id}`, { lang: 'fr', width: 390, height: 844 })
    const frSnaps = fr.locator('section.snapshots')
    await frSnaps.locator('tr[data-snapshot]').waitFor()
    expect(await frSnaps.getByTestId('snapshots-kept').textContent()).toBe('Conservés : 1 sur 3')
    // The change in the admin's language, from its fields (the runner's description is English).
    expect(await frSnaps.locator('tr[data-snapshot]').textContent()).toContain(
      'Message du jour : Before the edit → After the edit',
    )
    expect(
      await fr.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      ),
    ).toBeLessThanOrEqual(0)
    await frSnaps.screenshot({ path: join(SCREENSHOTS, 'snapshots-fr-phone.png') })
    await frSnaps.getByRole('button', { name: /^Supprimer l’instantané pris le / }).click()
    const dialog = fr.getByRole('dialog')
    expect(await dialog.textContent()).toContain('La VM ne pourra plus revenir à ce point')
    await dialog.getByRole('button', { name: 'Supprimer', exact: true }).click()
    await frSnaps.getByTestId('snapshots-empty').waitFor()
    expect(await frSnaps.textContent()).toContain('Instantané supprimé.')
    await frSnaps.screenshot({ path: join(SCREENSHOTS, 'snapshots-fr-deleted.png') })
    const left = [...scene.sim.cluster.vms.values()].flatMap((v) => v.snapshots ?? [])
    expect(left.map((x) => x.name)).not.toContain(snapName)
    // The operators alone, with the console on: applied live, no restart.
    await fr.getByRole('button', { name: 'Modifier', exact: true }).click()
    const frForm = fr.locator('section.edit-deployment')
    await frForm.getByLabel('Opérateurs').fill('Admin_Bob')
    await frForm.getByRole('button', { name: 'Voir les changements' }).click()
    expect(await frForm.getByTestId('change-restart').textContent()).toContain(
      'Appliqué à chaud, sans redémarrage',
    )
    await frForm.locator('section.change-plan').screenshot({
      path: join(SCREENSHOTS, 'change-live-diff-fr.png'),
    })
    await fr.close()

    // An older release is refused in the form, before anything is sent.
    await page.getByRole('button', { name: 'Edit', exact: true }).click()
    await form.locator('[name="config.version"]').fill('1.21.4')
    await form.getByRole('button', { name: 'Review the changes' }).click()
    await expect
      .poll(() => form.getByRole('alert').textContent())
      .toContain('Going back from 1.21.5 to 1.21.4 is refused')
    await form.locator('[name="config.version"]').fill('1.21.5')
    await form.getByLabel('Operators').fill('Admin_Bob')
    await form.getByRole('button', { name: 'Review the changes' }).click()
    expect(await diff.locator('tbody tr').count()).toBe(1)
    expect(await form.getByTestId('change-restart').textContent()).toContain(
      'Applied live, no restart',
    )
    await form.locator('section.change-plan').screenshot({
      path: join(SCREENSHOTS, 'change-live-diff-en.png'),
    })
  })

  it('shows a rolled-back change on the card, in English and French', async () => {
    const d = await readyMinecraft('rollback world')
    const backend = scene.sim.cluster.opts.backend as BannerBackend
    backend.crashingProvisions = 1
    const since = Date.now()
    await scene.api.ok('POST', `/api/deployments/${d.id}/change`, {
      config: { ...CONFIG, motd: 'Refused by the server', maxPlayers: 99 },
    })
    await waitFor(
      async () => {
        const x = (await scene.api.ok<Detail>('GET', `/api/deployments/${d.id}`)).deployment
        return x.status === 'ready' && x.lastJob?.rolledBack && x.lastJob.endedAt >= since
      },
      'rolled back',
      90_000,
      200,
    )
    expect((await ping(d.ip)).motd).toBe('Before the edit')

    const en = await scene.openPage(`/deployments/${d.id}`)
    const card = en.getByTestId('rolled-back-change')
    await card.waitFor()
    expect(await card.textContent()).toContain('The last change was rolled back')
    expect(await card.textContent()).toContain('verify')
    await statusIs(en, 'Ready')
    await screenshot(en, 'change-rolled-back-en')

    const fr = await scene.openPage(`/deployments/${d.id}`, { lang: 'fr' })
    const frCard = fr.getByTestId('rolled-back-change')
    await frCard.waitFor()
    expect(await frCard.textContent()).toContain('Le dernier changement a été annulé')
    await screenshot(fr, 'change-rolled-back-fr')
    await fr.getByRole('button', { name: 'Modifier', exact: true }).click()
    const form = fr.locator('section.edit-deployment')
    await form.locator('details.advanced summary').click()
    await form.getByLabel('Disque (Gio)').fill('32')
    await form.getByLabel('Joueurs max.').fill('30')
    await form.getByRole('button', { name: 'Voir les changements' }).click()
    await form.locator('table.diff').waitFor()
    expect(await form.locator('ul.costs').textContent()).toContain('Le disque passe de 16 à 32 Gio')
    await screenshot(fr, 'change-edit-diff-fr')

    // Try the change again from the card: the game takes it this time.
    await en.getByRole('button', { name: 'Try the change again' }).click()
    await en.getByRole('dialog').getByRole('button', { name: 'Try the change again' }).click()
    await statusIs(en, 'Changing')
    await statusIs(en, 'Ready', 60_000)
    await expect.poll(() => ping(d.ip).then((s) => s.motd)).toBe('Refused by the server')
    await expect.poll(() => en.getByTestId('rolled-back-change').count()).toBe(0)
  })

  it('cancels a change half-way from the page: it is rolled back and the card says so', async () => {
    const d = await readyMinecraft('cancel world')
    const timing = scene.sim.cluster.opts.timing
    const resizeMs = timing.resizeMs
    // The disk's resize takes a while: Cancel lands after the snapshot, during the change.
    timing.resizeMs = 8_000
    try {
      await scene.api.ok('POST', `/api/deployments/${d.id}/change`, {
        config: { ...CONFIG, motd: 'Never applied', diskGb: 24 },
      })
      const page = await scene.openPage(`/deployments/${d.id}`)
      await statusIs(page, 'Changing')
      await page.locator('li.step-running[data-step="change_vm"]').waitFor({ timeout: 30_000 })
      await page.getByRole('button', { name: 'Cancel the change' }).click()
      const dialog = page.getByRole('dialog')
      expect(await dialog.textContent()).toContain('The change stops and is undone')
      await dialog.getByRole('button', { name: 'Cancel the change' }).click()
      await statusIs(page, 'Ready', 60_000)
      const card = page.getByTestId('rolled-back-change')
      await card.waitFor({ timeout: 30_000 })
      expect(await card.textContent()).toContain(
        'The change was cancelled and undone: the server is as it was before it.',
      )
      // Nothing to try again after a cancel; the old settings answer.
      expect(await card.getByRole('button').count()).toBe(0)
      expect((await ping(d.ip)).motd).toBe('Before the edit')
      await screenshot(page, 'change-cancelled-en')
    } finally {
      timing.resizeMs = resizeMs
    }
  })
})
