import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll } from 'vitest'
import type { PveSimulator } from '../pve-sim/index'
import { killAllRunners } from '../runner/harness'
import { launchBrowser, newPage } from './browser'
import { simProxmox, startRealRunner, startSimulator } from './sim-stack'
import { ApiClient, cleanup, startStack, waitFor, type Stack } from './stack'

/**
 * What the browser tests share: a runner seen online, a page opened as the signed-in admin, a
 * deployment's status badge, and the whole scene of a browser test against the simulator.
 */

/** Wait until the dashboard lists a runner (the one named `name`, when given) as online. */
export async function waitForRunnerOnline(
  api: ApiClient,
  name?: string,
  timeoutMs = 20_000,
): Promise<void> {
  await waitFor(
    async () =>
      (
        await api.ok<{ runners: { name: string; state: string }[] }>('GET', '/api/runners')
      ).runners.some((r) => (name === undefined || r.name === name) && r.state === 'online'),
    name ? `runner ${name} online` : 'the runner online',
    timeoutMs,
  )
}

/** Where a test opens pages: its browser, the signed-in API client, and the contexts to close. */
export interface PageSource {
  browser: Browser
  api: ApiClient
  /** Every context opened is pushed here; the test's afterEach closes them. */
  contexts: BrowserContext[]
}

/**
 * Open `path` in a new browser context signed in with the API client's session cookie.
 * `lang` picks the dashboard's language as a user's earlier choice would; `before` runs on the
 * context before the page loads (routes, init scripts).
 */
export async function openSignedIn(
  source: PageSource,
  path: string,
  options: Parameters<typeof newPage>[2] & { lang?: 'fr' } = {},
  before?: (context: BrowserContext) => Promise<void>,
): Promise<Page> {
  const { context, page } = await newPage(source.browser, source.api.url, options)
  source.contexts.push(context)
  const [name, value] = source.api.cookie.split('=')
  await context.addCookies([{ name: name ?? '', value: value ?? '', url: source.api.url }])
  if (options.lang) {
    await context.addInitScript((lang) => localStorage.setItem('pgd.lang', lang), options.lang)
  }
  await before?.(context)
  await page.goto(path)
  return page
}

/** Wait until the deployment page's status badge reads `label` exactly (or matches it). */
export async function statusIs(
  page: Page,
  label: string | RegExp,
  timeout = 60_000,
): Promise<void> {
  const text = typeof label === 'string' ? new RegExp(`^${label}$`) : label
  await page
    .locator('.page-head .badge', { hasText: text })
    .waitFor({ timeout })
    .catch((err: unknown) => {
      throw new Error(`the status badge never showed "${String(label)}": ${String(err)}`)
    })
}

/** What a browser test file against the simulator shares; filled in by {@link useUiSimScene}. */
export interface UiSimScene extends PageSource {
  stack: Stack
  sim: PveSimulator
  /** A page of the dashboard, signed in as the admin. */
  openPage(
    path: string,
    options?: Parameters<typeof openSignedIn>[2],
    before?: (context: BrowserContext) => Promise<void>,
  ): Promise<Page>
}

/**
 * For a whole browser test file: wrangler dev, the simulator, an admin whose Proxmox settings
 * point at it, one runner with the real executors seen online, and headless Chromium. Pages are
 * closed after each test; everything is stopped at the end.
 */
export function useUiSimScene(
  options: {
    vars?: string[]
    sim?: Parameters<typeof startSimulator>[0]
    /** More environment for the runner (e.g. RUNNER_ADDRESS, which RCON is opened to). */
    runnerEnv?: Record<string, string>
  } = {},
): UiSimScene {
  let runnerState = ''
  const scene = {
    contexts: [] as BrowserContext[],
    openPage: (path, pageOptions, before) => openSignedIn(scene, path, pageOptions, before),
  } as UiSimScene
  beforeAll(async () => {
    scene.stack = await startStack({ vars: options.vars })
    scene.sim = await startSimulator(options.sim)
    scene.browser = await launchBrowser()
    scene.api = new ApiClient(scene.stack.url)
    await scene.api.ok('POST', '/api/setup', {
      username: 'admin',
      password: 'e2e admin password',
      setupCode: scene.stack.setupCode,
    })
    await scene.api.ok('PUT', '/api/settings/proxmox', simProxmox(scene.sim))
    runnerState = (await startRealRunner(scene.api, 'sim-runner', options.runnerEnv)).state
    await waitForRunnerOnline(scene.api)
  }, 180_000)
  afterEach(async () => {
    for (const c of scene.contexts.splice(0)) await c.close()
  })
  afterAll(async () => {
    await scene.browser?.close()
    await killAllRunners()
    await scene.sim?.stop()
    await scene.stack?.stop()
    if (runnerState) cleanup(runnerState)
  })
  return scene
}

/** Deploy a Minecraft server through the API and wait (90 s at most) until it is ready. */
export async function readyDeployment(
  api: ApiClient,
  name: string,
  config: Record<string, unknown>,
): Promise<{ id: string; vmid: number }> {
  type Detail = { deployment: { id: string; status: string; vmid: number | null } }
  const created = await api.ok<Detail>('POST', '/api/deployments', {
    name,
    game: 'minecraft',
    config,
  })
  const id = created.deployment.id
  const ready = await waitFor(
    async () => {
      const d = await api.ok<Detail>('GET', `/api/deployments/${id}`)
      if (d.deployment.status === 'failed') throw new Error(`the deploy of ${name} failed`)
      return d.deployment.status === 'ready' ? d.deployment : null
    },
    `${name} ready`,
    90_000,
    200,
  )
  return { id, vmid: ready.vmid ?? 0 }
}
