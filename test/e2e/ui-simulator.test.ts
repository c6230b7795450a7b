import type { Browser, BrowserContext, Page } from 'playwright-core'
import { SIMULATED_RELEASES } from '../pve-sim/game-upstream'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { PveSimulator } from '../pve-sim/index'
import { killAllRunners } from '../runner/harness'
import { launchBrowser, newPage, pickGame, screenshot } from './browser'
import { simProxmox, startRealRunner, startSimulator } from './sim-stack'
import { ApiClient, cleanup, startStack, waitFor, type Stack } from './stack'

/**
 * The dashboard driving the whole product against the Proxmox simulator: wrangler dev + a runner
 * process with the real executors (Proxmox client, SSH wait, health check; Ansible simulated) +
 * the simulator, in headless Chromium. A Proxmox task fault shows as the failing step with
 * Proxmox's own text, and Retry resumes from it.
 */
let stack: Stack
let sim: PveSimulator
let browser: Browser
let api: ApiClient
let state = ''
const contexts: BrowserContext[] = []

beforeAll(async () => {
  stack = await startStack()
  sim = await startSimulator({ timing: { cloneMs: 400, startMs: 100 } })
  browser = await launchBrowser()
  api = new ApiClient(stack.url)
  await api.ok('POST', '/api/setup', {
    username: 'admin',
    password: 'e2e admin password',
    setupCode: stack.setupCode,
  })
  await api.ok('PUT', '/api/settings/proxmox', simProxmox(sim))
  state = (await startRealRunner(api, 'sim-runner')).state
  await waitFor(
    async () =>
      (await api.ok<{ runners: { state: string }[] }>('GET', '/api/runners')).runners[0]?.state ===
      'online',
    'the runner online',
  )
}, 180_000)

afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close()
})

afterAll(async () => {
  await browser?.close()
  await killAllRunners()
  await sim?.stop()
  await stack?.stop()
  if (state) cleanup(state)
})

async function openPage(path: string): Promise<Page> {
  const { context, page } = await newPage(browser, stack.url)
  contexts.push(context)
  const [name, value] = api.cookie.split('=')
  await context.addCookies([{ name: name ?? '', value: value ?? '', url: stack.url }])
  await page.goto(path)
  return page
}

async function statusIs(page: Page, label: string, timeout = 60_000): Promise<void> {
  await page
    .locator('.page-head .badge', { hasText: new RegExp(`^${label}$`) })
    .waitFor({ timeout })
}

describe('the dashboard against the Proxmox simulator', () => {
  it('deploys from the form onto a simulated VM that answers, shows Proxmox’s error on a failed start, retries to ready, then destroys', async () => {
    // The next VM start fails inside its Proxmox task (HTTP 200, bad exitstatus).
    sim.options.faults.tasks.push({
      type: 'qmstart',
      message: 'start failed: QEMU exited with code 1',
    })
    const page = await openPage('/deployments/new')
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
    const vms = [...sim.cluster.vms.values()].filter((vm) => vm.config.template !== '1')
    expect(vms).toHaveLength(1)
    expect(vms[0]?.running).toBe(true)

    await page.getByRole('button', { name: 'Destroy' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Destroy' }).click()
    await statusIs(page, 'Destroyed')
    expect([...sim.cluster.vms.values()].filter((vm) => vm.config.template !== '1')).toHaveLength(0)
    await screenshot(page, '22-sim-destroyed')
  })
})
