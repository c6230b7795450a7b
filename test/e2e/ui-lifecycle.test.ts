import type { Page, WebSocketRoute } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { SIMULATED_RELEASES } from '../pve-sim/game-upstream'
import { pickGame, screenshot } from './browser'
import { statusIs, useUiSimScene } from './fixtures'

/**
 * Operating what was deployed, in headless Chromium against wrangler dev, a runner with the real
 * executors (Ansible simulated) and the Proxmox simulator: the live status of a ready server,
 * stop → start → destroy from the detail page (each asked first where it disconnects players),
 * a refusal from the server shown as such, the cleanup policy saved from Settings, and an
 * orphaned VM found by the sweep and destroyed in one click.
 *
 * The runner refreshes live statuses and sweeps the node on the intervals the server's `watch`
 * frame gives it: short here (wrangler vars).
 */
const scene = useUiSimScene({
  vars: ['STATUS_INTERVAL_MS:500', 'SWEEP_INTERVAL_MS:1500'],
  sim: { timing: { cloneMs: 300, startMs: 100 } },
})

/** The live status panel's verdict badge (`online`, `vmOff`, …). */
function liveVerdict(page: Page, key: string) {
  return page.locator(`[data-testid="live-status"] .live-verdict [data-live="${key}"]`)
}

const guests = () => [...scene.sim.cluster.vms.values()].filter((vm) => vm.config.template !== '1')

describe('operating a deployment from the dashboard, against the Proxmox simulator', () => {
  it('shows the live status, stops, starts and destroys, and shows a refusal from the server', async () => {
    const page = await scene.openPage('/deployments/new')
    await pickGame(page)
    await page.getByLabel('Name').fill('life world')
    await page.getByLabel(/I accept the Minecraft End User License Agreement/).check()
    await page.getByRole('button', { name: 'Deploy' }).click()
    await page.getByRole('heading', { level: 1, name: 'life world' }).waitFor()
    const id = new URL(page.url()).pathname.split('/').pop() ?? ''
    await statusIs(page, 'Ready', 90_000)

    // Live: the runner's Server List Ping of the simulated game, pushed on the socket.
    const panel = page.getByTestId('live-status')
    await liveVerdict(page, 'online').waitFor({ timeout: 30_000 })
    await expect(liveVerdict(page, 'online').textContent()).resolves.toMatch(/online · 0\/20$/)
    await expect(panel.locator('[data-field="power"]').textContent()).resolves.toBe('Running')
    await expect(panel.locator('[data-field="game"]').textContent()).resolves.toBe('Online')
    // `latest`, resolved through the simulated Mojang metadata and answered by the guest.
    await expect(panel.locator('[data-field="version"]').textContent()).resolves.toBe(
      SIMULATED_RELEASES.at(-1),
    )
    await expect(panel.locator('[data-field="players"]').textContent()).resolves.toBe('0 / 20')
    await expect(panel.locator('[data-field="latency"]').textContent()).resolves.toMatch(/^\d+ ms$/)
    await panel.getByText(/^Checked (now|\d+ seconds? ago)$/).waitFor()
    // While ready: stop, restart and destroy are offered; start is not.
    await expect(
      page.getByRole('button', { name: 'Start', exact: true }).isDisabled(),
    ).resolves.toBe(true)
    await expect(page.getByRole('button', { name: 'Stop', exact: true }).isEnabled()).resolves.toBe(
      true,
    )
    await expect(page.getByRole('button', { name: 'Restart' }).isEnabled()).resolves.toBe(true)
    await screenshot(page, '30-lifecycle-ready-live')

    // A game that does not answer while its VM runs reads "unreachable", with the error. On a
    // second page whose socket holds back the runner's live frames and gets this one instead.
    let socket: WebSocketRoute | null = null
    const probe = await scene.openPage(`/deployments/${id}`, {}, (context) =>
      context.routeWebSocket(/\/events\?after=/, (ws) => {
        socket = ws
        const server = ws.connectToServer()
        server.onMessage((m) => {
          if (!String(m).includes('"type":"live"')) ws.send(m)
        })
      }),
    )
    await probe.locator('[data-testid="live-status"] [data-live="online"]').waitFor()
    const unreachable = {
      v: 1,
      type: 'live',
      live: {
        checkedAt: Date.now(),
        power: 'running',
        game: { online: false, error: 'connect ECONNREFUSED 127.79.0.10:25565' },
      },
    }
    ;(socket as WebSocketRoute | null)?.send(JSON.stringify(unreachable))
    const probePanel = probe.getByTestId('live-status')
    await probePanel.locator('[data-live="unreachable"]').waitFor()
    await expect(probePanel.locator('[data-field="game"]').textContent()).resolves.toBe(
      'Unreachable: connect ECONNREFUSED 127.79.0.10:25565',
    )
    await expect(probePanel.locator('[data-field="players"]').count()).resolves.toBe(0)
    await screenshot(probe, '30b-lifecycle-unreachable')
    await probe.context().close()

    // The list shows the same, compact.
    await page.getByRole('link', { name: 'Deployments' }).first().click()
    const row = page.locator(`tr[data-deployment="${id}"]`)
    await row.locator('[data-live="online"]', { hasText: 'online · 0/20' }).waitFor()
    await screenshot(page, '31-lifecycle-list-live')
    await row.getByRole('link', { name: 'life world' }).click()
    await statusIs(page, 'Ready')

    // Stop, asked first: players are disconnected, the world is saved.
    await page.getByRole('button', { name: 'Stop', exact: true }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByText(/Players will be disconnected\. The world is saved first/).waitFor()
    await screenshot(page, '32-lifecycle-stop-confirm')
    await dialog.getByRole('button', { name: 'Stop' }).click()
    await statusIs(page, 'Stopped')
    await expect(page.locator('.job-kind').textContent()).resolves.toBe('Last action: Stop')
    await page.locator('.timeline li.step-done[data-step="stop_vm"]').waitFor()
    // A stop asked from the dashboard: no warning to the players, then the stop.
    await expect(
      page.locator('.timeline li').evaluateAll((items) => items.map((li) => li.dataset.step)),
    ).resolves.toEqual(['warn_players', 'stop_vm'])
    // Focus went to the status, not lost with the dialog's (now disabled) opener.
    await expect(
      page.evaluate(() => document.activeElement?.classList.contains('status-focus')),
    ).resolves.toBe(true)
    await liveVerdict(page, 'vmOff').waitFor({ timeout: 30_000 })
    await expect(panel.locator('[data-field="power"]').textContent()).resolves.toBe('Stopped')
    await expect(panel.locator('[data-field="game"]').textContent()).resolves.toBe(
      'Not checked: the VM is not running',
    )
    await expect(
      page.getByRole('button', { name: 'Start', exact: true }).isEnabled(),
    ).resolves.toBe(true)
    await expect(
      page.getByRole('button', { name: 'Stop', exact: true }).isDisabled(),
    ).resolves.toBe(true)
    await expect(page.getByRole('button', { name: 'Restart' }).isDisabled()).resolves.toBe(true)
    expect(guests()).toHaveLength(1)
    expect(guests()[0]?.running).toBe(false)
    await screenshot(page, '33-lifecycle-stopped')
    // The same screen in French, dark, at phone width.
    const fr = await scene.openPage(`/deployments/${id}`, {
      locale: 'fr-FR',
      colorScheme: 'dark',
      width: 390,
      height: 844,
    })
    await fr.locator('.page-head .badge', { hasText: /^Arrêté$/ }).waitFor()
    await fr.locator('[data-testid="live-status"] [data-live="vmOff"]').waitFor()
    await expect(
      fr.getByRole('button', { name: 'Démarrer', exact: true }).isEnabled(),
    ).resolves.toBe(true)
    await screenshot(fr, '33b-lifecycle-stopped-fr-phone-dark')
    await fr.context().close()

    // Start: back to ready, and the game answers again.
    await page.getByRole('button', { name: 'Start', exact: true }).click()
    await statusIs(page, 'Ready')
    await expect(page.locator('.job-kind').textContent()).resolves.toBe('Last action: Start')
    await expect(page.locator('.timeline li.step-done').count()).resolves.toBe(3)
    await liveVerdict(page, 'online').waitFor({ timeout: 30_000 })
    expect(guests()[0]?.running).toBe(true)
    await screenshot(page, '34-lifecycle-started')

    // Restart, asked first: stop then start, one job, back to ready.
    await page.getByRole('button', { name: 'Restart' }).click()
    await dialog.getByText(/Players will be disconnected; the world is saved first/).waitFor()
    await dialog.getByRole('button', { name: 'Restart' }).click()
    await page.locator('.job-kind', { hasText: /^(Restarting|Last action: Restart)$/ }).waitFor()
    await statusIs(page, 'Ready')
    await expect(page.locator('.job-kind').textContent()).resolves.toBe('Last action: Restart')
    await expect(
      page.locator('.timeline li').evaluateAll((items) => items.map((li) => li.dataset.step)),
    ).resolves.toEqual(['warn_players', 'stop_vm', 'start', 'wait_ssh', 'verify'])
    await liveVerdict(page, 'online').waitFor({ timeout: 30_000 })

    // A dialog opened, then the state changes underneath (another admin, another tab): the
    // confirm still asks the server, and its refusal is what the admin reads.
    await page.getByRole('button', { name: 'Stop', exact: true }).click()
    await dialog.getByText(/Players will be disconnected/).waitFor()
    await scene.api.ok('POST', `/api/deployments/${id}/stop`)
    await dialog.getByRole('button', { name: 'Stop' }).click()
    const refusal = dialog.getByRole('alert')
    await refusal.waitFor()
    await expect(refusal.textContent()).resolves.toMatch(
      /^Refused: (stopping is not allowed while stopping|the game is already stopped)\.$/,
    )
    await screenshot(page, '35-lifecycle-refused')
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    await statusIs(page, 'Stopped')

    // Destroy, asked first, from stopped.
    await page.getByRole('button', { name: 'Destroy' }).click()
    await dialog.getByRole('button', { name: 'Destroy' }).click()
    await statusIs(page, 'Destroyed')
    await expect(page.locator('.job-kind').textContent()).resolves.toBe('Last action: Destroy')
    await expect(panel.count()).resolves.toBe(0)
    await expect(page.getByRole('button', { name: 'Start', exact: true }).count()).resolves.toBe(0)
    expect(guests()).toHaveLength(0)
    await screenshot(page, '36-lifecycle-destroyed')
  })

  it('saves the cleanup policy from Settings', async () => {
    const page = await scene.openPage('/settings')
    const cleanupCard = page.locator('#cleanup')
    await cleanupCard.getByRole('heading', { name: 'Cleanup' }).waitFor()
    const keep = cleanupCard.getByRole('radio', { name: 'Keep the VM for debugging' })
    const destroyFailed = cleanupCard.getByRole('radio', { name: 'Destroy it' })
    const report = cleanupCard.getByRole('radio', { name: 'Report only' })
    await keep.waitFor()
    await expect(keep.isChecked()).resolves.toBe(true)
    await expect(report.isChecked()).resolves.toBe(true)

    await destroyFailed.check()
    await cleanupCard.getByRole('button', { name: 'Save' }).click()
    await cleanupCard.getByText('Cleanup policy saved.').waitFor()
    await expect(scene.api.ok('GET', '/api/settings/cleanup')).resolves.toEqual({
      cleanup: { onFailure: 'destroy', orphans: 'report' },
    })
    await screenshot(page, '37-settings-cleanup')

    await page.reload()
    await cleanupCard.getByRole('radio', { name: 'Destroy it' }).waitFor()
    await expect(cleanupCard.getByRole('radio', { name: 'Destroy it' }).isChecked()).resolves.toBe(
      true,
    )
    await expect(cleanupCard.getByRole('radio', { name: 'Report only' }).isChecked()).resolves.toBe(
      true,
    )
    await scene.api.ok('PUT', '/api/settings/cleanup', { onFailure: 'keep', orphans: 'report' })
  })

  it('lists an orphaned VM the sweep found and destroys it in one click', async () => {
    const page = await scene.openPage('/runners')
    const section = page.locator('#orphans')
    await section.getByRole('heading', { name: /^Orphaned VMs/ }).waitFor()
    await section.getByText('No orphaned VMs.').waitFor()
    await section.getByText(/^Last sweep: /).waitFor({ timeout: 30_000 })
    await screenshot(page, '38-orphans-empty')

    // A VM of this product whose deployment this dashboard never had (e.g. a lost database).
    const template = [...scene.sim.cluster.vms.values()].find((vm) => vm.config.template === '1')
    if (!template) throw new Error('the simulator has no template')
    const vmid = 4242
    const config = Object.fromEntries(
      Object.entries(template.config).filter(([key]) => key !== 'template'),
    )
    scene.sim.cluster.vms.set(vmid, {
      vmid,
      running: false,
      createdAt: Date.now(),
      foreign: false,
      config: {
        ...config,
        name: 'gs-lost-world',
        tags: 'pgd;pgd-00000000-0000-4000-8000-000000000000',
        scsi0: `local-lvm:vm-${vmid}-disk-0,discard=on,size=10G`,
      },
    })
    const orphanRow = section.locator(`tr[data-vmid="${vmid}"]`)
    await orphanRow.waitFor({ timeout: 30_000 })
    await orphanRow.getByText('Unknown deployment').waitFor()
    await orphanRow.getByRole('cell', { name: 'gs-lost-world' }).waitFor()
    await screenshot(page, '39-orphans-found')

    await orphanRow.getByRole('button', { name: `Destroy VM ${vmid}` }).click()
    const dialog = page.getByRole('dialog', { name: `Destroy VM ${vmid}?` })
    await dialog.getByText(/deletes it with its disks/).waitFor()
    await dialog.getByRole('button', { name: 'Destroy' }).click()
    await orphanRow.waitFor({ state: 'detached', timeout: 30_000 })
    await section.getByText('No orphaned VMs.').waitFor()
    expect(scene.sim.cluster.vms.has(vmid)).toBe(false)
    await screenshot(page, '40-orphans-destroyed')
  })
})
