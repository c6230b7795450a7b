import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { killAllRunners } from '../runner/harness'
import { launchBrowser, newPage, pickGame, screenshot } from './browser'
import { startRealRunner, useSimScene } from './sim-stack'
import { waitFor } from './stack'

/**
 * Capacity before the click, through the whole product: the form asks the worker, the worker the
 * hub, the hub a real runner process, the runner the Proxmox simulator, whose node has 12 GiB
 * (2 GiB kept by the host) and fills up as VMs are deployed onto it.
 */
const scene = useSimScene({ sim: { nodeMemoryMiB: 12_288, timing: { cloneMs: 100 } } })
let browser: Browser
const contexts: BrowserContext[] = []

beforeAll(async () => {
  browser = await launchBrowser()
}, 60_000)

afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close()
})

afterAll(async () => {
  await browser?.close()
})

async function openForm(): Promise<Page> {
  const { context, page } = await newPage(browser, scene.stack.url)
  contexts.push(context)
  const [name, value] = scene.api.cookie.split('=')
  await context.addCookies([{ name: name ?? '', value: value ?? '', url: scene.stack.url }])
  await page.goto('/deployments/new')
  await pickGame(page)
  return page
}

const capacity = (page: Page) => page.locator('.capacity')

describe('capacity in the new-deployment form', () => {
  it('shows the free memory, warns before the click, the worker refuses with the numbers, and without a runner says why it is unknown', async () => {
    const { state } = await startRealRunner(scene.api, 'capacity-runner')
    scene.dirs.push(state)
    await waitFor(
      async () =>
        (await scene.api.ok<{ runners: { state: string }[] }>('GET', '/api/runners')).runners.some(
          (r) => r.state === 'online',
        ),
      'the runner online',
    )

    // A 6 GiB VM deployed onto the node takes its memory.
    const { deployment } = await scene.api.ok<{ deployment: { id: string } }>(
      'POST',
      '/api/deployments',
      { name: 'first', game: 'minecraft', config: { eula: true, memoryMb: 6_144 } },
    )
    await waitFor(
      async () => {
        const d = await scene.api.ok<{ deployment: { status: string } }>(
          'GET',
          `/api/deployments/${deployment.id}`,
        )
        if (d.deployment.status === 'failed') throw new Error('the first deployment failed')
        return d.deployment.status === 'ready'
      },
      'the first deployment ready',
      90_000,
      250,
    )
    // The figures the worker holds follow within its few seconds of cache.
    await waitFor(
      async () =>
        (
          await scene.api.ok<{
            capacity: { known: boolean; capacity?: { memory: { free: number } } }
          }>('GET', '/api/capacity')
        ).capacity.capacity?.memory.free ===
        4_096 * 1024 ** 2,
      'the node’s free memory down to 4,096 MiB',
      20_000,
      500,
    )

    let page = await openForm()
    await capacity(page)
      .getByText('Node pve1: 4,096 MiB of memory free (of 12,288 MiB).', { exact: false })
      .waitFor()
    await capacity(page).getByText('This VM fits.').waitFor()

    // Too big for what is left: said before the click…
    await page.getByLabel('Memory (MiB)').fill('8192')
    const warning = 'This VM needs 8,192 MiB of memory; node pve1 has 4,096 MiB free.'
    await capacity(page).getByText(warning).waitFor()
    await screenshot(page, '61-capacity-too-big')

    // …and refused by the worker on the click, with the same numbers; nothing is created.
    await page.getByLabel(/I accept the Minecraft End User License Agreement/).check()
    await page.getByRole('button', { name: 'Deploy' }).click()
    await page.locator('form > .alert-error', { hasText: warning }).waitFor()
    expect(new URL(page.url()).pathname).toBe('/deployments/new')
    const list = await scene.api.ok<{ deployments: unknown[] }>('GET', '/api/deployments')
    expect(list.deployments).toHaveLength(1)
    await screenshot(page, '62-capacity-refused')

    // Any API client gets the same refusal.
    const fr = await scene.api.request('POST', '/api/deployments', {
      name: 'big',
      game: 'minecraft',
      config: { eula: true, memoryMb: 8_192 },
    })
    expect(fr).toMatchObject({
      status: 409,
      body: { error: { code: 'insufficient_capacity', message: warning } },
    })

    // The runner gone: unknown, said plainly, and Deploy is not blocked.
    await killAllRunners()
    await waitFor(
      async () =>
        (await scene.api.ok<{ capacity: { reason?: string } }>('GET', '/api/capacity')).capacity
          .reason === 'no_runner',
      'capacity unknown once the runner is gone',
      30_000,
      500,
    )
    page = await openForm()
    await capacity(page)
      .getByText(/Free memory and disk space unknown: no runner is online/)
      .waitFor()
    await expect(page.getByRole('button', { name: 'Deploy' }).isEnabled()).resolves.toBe(true)
    await screenshot(page, '63-capacity-no-runner')
  })
})
