import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { killAllRunners, registerRunner, startRunner } from '../runner/harness'
import { launchBrowser, pickGame, screenshot } from './browser'
import { ApiClient, cleanup, prepareInstall, startStack, waitFor, type Stack } from './stack'
import { openSignedIn, statusIs, waitForRunnerOnline } from './fixtures'

/**
 * What a first-time admin meets, walked in headless Chromium against `wrangler dev` and the real
 * runner with fake executors: validation in plain words (both languages), "Saved." where the
 * Save button is, level inputs, a deploy with the defaults, how players join, log times, the
 * cancel dialog's words, no address left to copy once a server is gone, a readable audit log,
 * and the header on a 390 px phone.
 */
let stack: Stack
let browser: Browser
let api: ApiClient
let state: string
const contexts: BrowserContext[] = []

function runnerEnv(delayMs: number) {
  return {
    PATH: process.env.PATH ?? '',
    HOME: state,
    RUNNER_STATE_DIR: state,
    RUNNER_EXECUTOR: 'fake',
    RUNNER_HEARTBEAT_INTERVAL_MS: '500',
    RUNNER_BACKOFF_BASE_MS: '50',
    RUNNER_BACKOFF_MAX_MS: '500',
    RUNNER_FAKE_STEP_DELAY_MS: String(delayMs),
    RUNNER_FAKE_LINES_PER_STEP: '5',
  }
}

async function runnerWith(delayMs: number): Promise<void> {
  await killAllRunners()
  await startRunner(['run'], runnerEnv(delayMs))
  await waitForRunnerOnline(api, undefined, 20_000)
}

/** An element's box, for "these two inputs sit level and are as tall". */
async function box(page: Page, label: string) {
  const b = await page.getByLabel(label, { exact: true }).boundingBox()
  if (!b) throw new Error(`no box for ${label}`)
  return { y: Math.round(b.y), height: Math.round(b.height) }
}

beforeAll(async () => {
  stack = await startStack()
  browser = await launchBrowser()
  api = new ApiClient(stack.url)
  const { code } = await prepareInstall(api)
  state = mkdtempSync(join(tmpdir(), 'pgd-e2e-first-use-'))
  await registerRunner(stack.url, code, runnerEnv(100))
  await runnerWith(100)
}, 180_000)

afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close()
})

afterAll(async () => {
  await browser?.close()
  await killAllRunners()
  await stack?.stop()
  if (state) cleanup(state)
})

/** A page of the dashboard, signed in as the admin. */
const openPage = (path: string, options?: Parameters<typeof openSignedIn>[2]) =>
  openSignedIn({ browser, api, contexts }, path, options)

describe('first use, as a new admin meets it', () => {
  it('words form errors plainly, in English and in French', async () => {
    let page = await openPage('/deployments/new')
    await pickGame(page)
    await page.getByLabel('Memory (MiB)').fill('200000')
    await page.getByRole('button', { name: 'Deploy' }).click()
    await page.getByRole('alert').filter({ hasText: 'at most 131,072 MiB' }).waitFor()
    await expect(page.getByText(/Too big|expected number/).count()).resolves.toBe(0)
    await screenshot(page, '60-first-use-plain-errors')

    page = await openPage('/deployments/new', { lang: 'fr' })
    await pickGame(page)
    await page.getByLabel('Mémoire (Mio)').fill('200000')
    await page.getByRole('button', { name: 'Déployer' }).click()
    await page
      .getByRole('alert')
      .filter({ hasText: /^au plus 131\s072 MiB$/u })
      .waitFor()
    await page
      .getByRole('alert')
      .filter({ hasText: 'vous devez accepter le CLUF de Minecraft' })
      .waitFor()
    await screenshot(page, '61-first-use-plain-errors-fr')
  })

  it('says "Saved." beside the Save button, keeps a row’s inputs level, and logs no empty save', async () => {
    const page = await openPage('/settings')
    await page.getByLabel('Node', { exact: true }).waitFor()
    await waitFor(
      async () => (await page.getByLabel('Node', { exact: true }).inputValue()) !== '',
      'the saved settings in the form',
    )
    // Side by side, whatever the help text under each: same top, same height.
    const id = await box(page, 'API token ID')
    const secret = await box(page, 'API token secret')
    expect(secret).toEqual(id)
    const cidr = await box(page, 'Network (CIDR)')
    const first = await box(page, 'First address for servers')
    expect(first).toEqual(cidr)
    // A select is as tall as a text input.
    const check = await box(page, 'Certificate check')
    expect(Math.abs(check.height - id.height)).toBeLessThanOrEqual(2)

    await page.getByRole('button', { name: 'Save', exact: true }).first().click()
    const saved = page.locator('.form-actions').getByRole('status')
    await saved.getByText('Saved.').waitFor()
    await screenshot(page, '62-first-use-saved')

    const audit = await api.ok<{ entries: { action: string }[] }>('GET', '/api/audit')
    // The save changed nothing: no new line (the one from the install is there).
    expect(audit.entries.filter((e) => e.action === 'settings.proxmox_updated')).toHaveLength(1)
  })

  it('deploys with the defaults in one click and tells players how to join', async () => {
    const page = await openPage('/deployments/new')
    await pickGame(page)
    await waitFor(
      async () => /^minecraft-\d+$/.test(await page.getByLabel('Name').inputValue()),
      'a suggested name',
    )
    const name = await page.getByLabel('Name').inputValue()
    await page.getByLabel(/I accept the Minecraft End User License Agreement/).check()
    await page.getByRole('button', { name: 'Deploy' }).click()
    await page.getByRole('heading', { level: 1, name }).waitFor()
    await statusIs(page, 'Ready')
    const join = page.locator('.result .join')
    await join.getByRole('heading', { name: 'How players join' }).waitFor()
    const address = (await page.locator('.result .address code').textContent()) ?? ''
    await join.getByText(`Choose Add Server, and type ${address} as the Server Address.`).waitFor()
    // 127.78.x.y is not reachable from the internet: the router must forward the game port.
    await join.getByRole('heading', { name: 'Friends outside your network' }).waitFor()
    await expect(join.locator('.ports li').first().textContent()).resolves.toMatch(
      /^TCP 25565 → 127\.78\.\d+\.\d+ \(game\)$/,
    )
    // Each log line says when it was written.
    await expect(page.locator('.log-line .log-time').first().textContent()).resolves.toMatch(
      /^\d\d:\d\d:\d\d$/,
    )
    await screenshot(page, '63-first-use-ready-join')

    // Gone: nothing left to copy.
    await page.getByRole('button', { name: 'Destroy' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Destroy' }).click()
    await statusIs(page, 'Destroyed')
    await expect(page.locator('.result .address').count()).resolves.toBe(0)
    await expect(page.getByRole('button', { name: 'Copy' }).count()).resolves.toBe(0)
  })

  it('asks "Keep going" or "Cancel deployment", and shows no address once cancelled', async () => {
    await runnerWith(1_500)
    const page = await openPage('/deployments/new')
    await pickGame(page)
    await page.getByLabel('Name').fill('cancel me early')
    await page.getByLabel(/I accept the Minecraft End User License Agreement/).check()
    await page.getByRole('button', { name: 'Deploy' }).click()
    await page.getByRole('heading', { level: 1, name: 'cancel me early' }).waitFor()
    await page.getByRole('button', { name: 'Cancel deployment' }).click()
    const dialog = page.getByRole('dialog')
    await expect(dialog.getByRole('button').allTextContents()).resolves.toEqual([
      'Keep going',
      'Cancel deployment',
    ])
    await screenshot(page, '64-first-use-cancel-words')
    await dialog.getByRole('button', { name: 'Keep going' }).click()
    await expect(dialog.isVisible()).resolves.toBe(false)
    await page.getByRole('button', { name: 'Cancel deployment' }).click()
    await dialog.getByRole('button', { name: 'Cancel deployment' }).click()
    await statusIs(page, 'Cancelled')
    await expect(page.getByRole('button', { name: 'Copy' }).count()).resolves.toBe(0)
    await runnerWith(100)
  })

  it('lists the audit log with names and readable actions', async () => {
    const page = await openPage('/audit')
    const row = page.getByRole('row', { name: /cancel me early/ }).first()
    await row.getByText('Cancelled a deployment').waitFor()
    await page
      .getByRole('row', { name: /Added a runner/ })
      .getByRole('cell', { name: 'e2e-runner', exact: true })
      .waitFor()
    await expect(page.getByText('deployment.created').count()).resolves.toBe(0)
    await screenshot(page, '65-first-use-audit')
  })

  it('keeps the header compact on a 390 px phone, and shows the nav scrolls', async () => {
    const page = await openPage('/deployments', { width: 390, height: 844, lang: 'fr' })
    await page.getByRole('heading', { level: 1 }).waitFor()
    const header = await page.locator('.topbar').boundingBox()
    expect(header?.height ?? 999).toBeLessThan(130)
    const nav = page.getByRole('navigation')
    const sizes = await nav.evaluate((el) => ({
      scroll: el.scrollWidth,
      client: el.clientWidth,
      mask: getComputedStyle(el).maskImage || getComputedStyle(el).webkitMaskImage,
    }))
    expect(sizes.scroll).toBeGreaterThan(sizes.client)
    expect(sizes.mask).toContain('gradient')
    await screenshot(page, '66-first-use-phone-header')
  })
})
