import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

/**
 * Headless Chromium for the dashboard's end-to-end tests: Debian's own `/usr/bin/chromium`
 * driven by playwright-core (no browser download). Every request the page makes is checked:
 * anything that is not loopback is aborted, so a stray link can never leave the machine.
 */

const ROOT = new URL('../../', import.meta.url).pathname
export const SCREENSHOTS = join(ROOT, 'test-results/screenshots')

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  })
}

function isLoopback(url: string): boolean {
  try {
    const { protocol, hostname } = new URL(url)
    if (protocol === 'data:' || protocol === 'blob:') return true
    return /^127\.\d+\.\d+\.\d+$/.test(hostname) || hostname === 'localhost'
  } catch {
    return false
  }
}

/** A fresh context (no cookies, English, desktop size unless told) on the stack's origin. */
export async function newPage(
  browser: Browser,
  baseURL: string,
  options: {
    width?: number
    height?: number
    locale?: string
    colorScheme?: 'light' | 'dark'
  } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    baseURL,
    locale: options.locale ?? 'en-US',
    colorScheme: options.colorScheme ?? 'light',
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    acceptDownloads: true,
    permissions: ['clipboard-read', 'clipboard-write'],
  })
  await context.route('**/*', (route) =>
    isLoopback(route.request().url()) ? route.continue() : route.abort('blockedbyclient'),
  )
  context.setDefaultTimeout(15_000)
  const page = await context.newPage()
  return { context, page }
}

/** Saves a full-page screenshot as test-results/screenshots/<name>.png for people to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true })
}

/** Signs in through the login form. */
export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
}

/**
 * On the new-deployment page: picks the game (there is more than one, so the form appears only
 * once one is chosen). Minecraft unless told.
 */
export async function pickGame(
  page: Page,
  name: string | RegExp = /^Minecraft: Java Edition/,
): Promise<void> {
  await page.getByRole('radio', { name }).check()
}
