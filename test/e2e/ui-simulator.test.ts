import { SIMULATED_RELEASES } from '../pve-sim/game-upstream'
import { describe, expect, it } from 'vitest'
import { pickGame, screenshot } from './browser'
import { statusIs, useUiSimScene } from './fixtures'

/**
 * The dashboard driving the whole product against the Proxmox simulator: wrangler dev + a runner
 * process with the real executors (Proxmox client, SSH wait, health check; Ansible simulated) +
 * the simulator, in headless Chromium. A Proxmox task fault shows as the failing step with
 * Proxmox's own text, and Retry resumes from it.
 */
const scene = useUiSimScene({ sim: { timing: { cloneMs: 400, startMs: 100 } } })

describe('the dashboard against the Proxmox simulator', () => {
  it('deploys from the form onto a simulated VM that answers, shows Proxmox’s error on a failed start, retries to ready, then destroys', async () => {
    // The next VM start fails inside its Proxmox task (HTTP 200, bad exitstatus).
    scene.sim.options.faults.tasks.push({
      type: 'qmstart',
      message: 'start failed: QEMU exited with code 1',
    })
    const page = await scene.openPage('/deployments/new')
    await pickGame(page)
    await page.getByLabel('Name').fill('sim world')
    await page.getByLabel(/I accept the Minecraft End User License Agreement/).check()
    await page.getByRole('button', { name: 'Deploy' }).click()
    await page.getByRole('heading', { level: 1, name: 'sim world' }).waitFor()
    await statusIs(page, 'Failed')
    await page
      .getByRole('alert')
      .getByText(/QEMU exited with code 1/)
      .first()
      .waitFor()
    await expect(page.locator('.timeline li.step-failed[data-step="start"]').count()).resolves.toBe(
      1,
    )
    await screenshot(page, '20-sim-start-failed')

    await page.getByRole('button', { name: 'Retry' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Retry' }).click()
    await statusIs(page, 'Ready')
    await page
      .getByRole('log')
      .getByText(/SSH is up on 127\.79\.0\.\d+/)
      .waitFor()
    await expect(page.locator('.timeline li.step-done').count()).resolves.toBe(8)
    await expect(
      page
        .locator('.result')
        .getByText(/^127\.79\.0\.\d+:25565$/)
        .isVisible(),
    ).resolves.toBe(true)
    await expect(
      page
        .locator('.result')
        // `latest`, resolved through the simulated Mojang metadata and answered by the guest.
        .getByText(
          new RegExp(`(^|\\s)${(SIMULATED_RELEASES.at(-1) ?? '').replaceAll('.', '\\.')}$`),
        )
        .isVisible(),
    ).resolves.toBe(true)
    await screenshot(page, '21-sim-ready')
    const vms = [...scene.sim.cluster.vms.values()].filter((vm) => vm.config.template !== '1')
    expect(vms).toHaveLength(1)
    expect(vms[0]?.running).toBe(true)

    await page.getByRole('button', { name: 'Destroy' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Destroy' }).click()
    await statusIs(page, 'Destroyed')
    expect(
      [...scene.sim.cluster.vms.values()].filter((vm) => vm.config.template !== '1'),
    ).toHaveLength(0)
    await screenshot(page, '22-sim-destroyed')
  })
})
