import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest'
import { BAKE_LAYERS, bakedTemplateName } from '../../core/bake'
import { launchBrowser, screenshot } from './browser'
import { openSignedIn, waitForRunnerOnline } from './fixtures'
import { startRealRunner, useSimScene } from './sim-stack'

/**
 * Settings → Game-ready template, in the browser: the bake job started from the card, its steps
 * running, then the card naming the template deployments clone; in French too.
 */
const scene = useSimScene()
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

describe('the game-ready template card', () => {
  it('bakes the template from Settings and then names it', async () => {
    const { api, dirs } = scene
    const { state } = await startRealRunner(api, 'bake-ui-runner')
    dirs.push(state)
    await waitForRunnerOnline(api)
    const page = await openSignedIn({ browser, api, contexts }, '/settings')
    const card = page.locator('section.card', {
      has: page.getByRole('heading', { name: 'Game-ready template (Minecraft)' }),
    })
    await card.getByLabel('Java').selectOption('25')
    await card.getByRole('button', { name: 'Bake the template' }).click()
    await card.locator('.timeline li[data-step="bake_layer"]').waitFor()
    const name = bakedTemplateName('minecraft', 25, BAKE_LAYERS.minecraft)
    await card.getByText(`Minecraft deployments clone ${name}`).waitFor({ timeout: 60_000 })
    await screenshot(page, 'settings-bake-done')

    const fr = await openSignedIn({ browser, api, contexts }, '/settings', { lang: 'fr' })
    const carte = fr.locator('section.card', {
      has: fr.getByRole('heading', { name: 'Modèle prêt pour le jeu (Minecraft)' }),
    })
    // The page loads the card's state after it renders: wait for it.
    await carte.getByText(`Les déploiements Minecraft clonent ${name}`).waitFor()
    await carte.getByRole('button', { name: 'Préparer le modèle' }).waitFor()
    await screenshot(fr, 'settings-bake-done-fr')
  }, 120_000)
})
