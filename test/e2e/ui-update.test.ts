import { beforeAll, describe, expect, it } from 'vitest'
import { pingMinecraft } from '../../runner/src/games/slp'
import { SIMULATED_RELEASES, serveGameUpstream, type GameUpstream } from '../pve-sim/game-upstream'
import { screenshot } from './browser'
import { readyDeployment, statusIs, useUiSimScene } from './fixtures'

/**
 * "Update available" in the dashboard: wrangler dev, a runner with the real executors, the
 * Proxmox simulator and simulated game publishers of this file's own, which publish a new
 * release half-way. The page of a server that follows `latest` offers the update, Update runs
 * it and the game answers in the new release; a pinned server only says it is pinned. English,
 * French, and a phone's width.
 */
const NEWEST = SIMULATED_RELEASES.at(-1) ?? '26.1.1'
const BEFORE = SIMULATED_RELEASES.at(-2) ?? '26.1'
// Filled in before the scene's runner starts (hooks run in the order they are declared).
const runnerEnv: Record<string, string> = { RUNNER_VERSION_LIST_TTL_MS: '0' }
let mirror: GameUpstream
beforeAll(async () => {
  mirror = await serveGameUpstream('127.0.0.1', SIMULATED_RELEASES.slice(0, -1))
  Object.assign(runnerEnv, mirror.runnerEnv())
  return () => mirror.close()
})
const scene = useUiSimScene({ vars: ['STATUS_INTERVAL_MS:500'], runnerEnv })

const config = (version: string, motd: string) => ({ eula: true, version, motd, maxPlayers: 20 })

describe('updating a server from the dashboard', () => {
  it('offers a new release to a server that follows latest and updates it; a pinned one stays pinned', async () => {
    const latest = await readyDeployment(scene.api, 'latest world', config('latest', 'Latest'))
    const pinned = await readyDeployment(scene.api, 'pinned world', config('1.21.4', 'Pinned'))

    const pinnedPage = await scene.openPage(`/deployments/${pinned.id}`)
    const pinnedLine = pinnedPage.getByTestId('version-pinned')
    await pinnedLine.waitFor({ timeout: 30_000 })
    expect(await pinnedLine.textContent()).toBe('Pinned to 1.21.4: no updates are offered.')

    const en = await scene.openPage(`/deployments/${latest.id}`)
    await en.getByTestId('live-status').locator('[data-live="online"]').waitFor({ timeout: 30_000 })
    expect(await en.getByTestId('update').count()).toBe(0)

    mirror.publish(NEWEST)
    const card = en.getByTestId('update')
    await card.waitFor({ timeout: 30_000 })
    expect(await card.textContent()).toContain(
      `Version ${NEWEST} is out; this server runs ${BEFORE}.`,
    )
    await screenshot(en, 'update-available-en')

    const fr = await scene.openPage(`/deployments/${latest.id}`, { lang: 'fr', width: 390 })
    const frCard = fr.getByTestId('update')
    await frCard.waitFor({ timeout: 30_000 })
    expect(await frCard.textContent()).toContain('Mise à jour disponible')
    expect(await frCard.textContent()).toContain(`Mettre à jour en ${NEWEST}`)
    // Nothing wider than the phone's screen.
    expect(await fr.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    await screenshot(fr, 'update-available-fr-phone')

    await card.getByRole('button', { name: `Update to ${NEWEST}` }).click()
    const dialog = en.getByRole('dialog')
    expect(await dialog.textContent()).toContain('A snapshot of the VM is taken first')
    await dialog.getByRole('button', { name: `Update to ${NEWEST}` }).click()
    await statusIs(en, 'Changing')
    await statusIs(en, 'Ready', 60_000)
    const { deployment } = await scene.api.ok<{ deployment: { ip: string } }>(
      'GET',
      `/api/deployments/${latest.id}`,
    )
    await expect
      .poll(() =>
        pingMinecraft({ host: deployment.ip, port: 25_565, timeoutMs: 2_000 }).then(
          (s) => s.version,
        ),
      )
      .toBe(NEWEST)
    // Up to date: the card is gone.
    await en.getByTestId('live-status').locator('[data-live="online"]').waitFor({ timeout: 30_000 })
    expect(await en.getByTestId('update').count()).toBe(0)
    await screenshot(en, 'update-done-en')

    const frPinned = await scene.openPage(`/deployments/${pinned.id}`, { lang: 'fr' })
    const frLine = frPinned.getByTestId('version-pinned')
    await frLine.waitFor({ timeout: 30_000 })
    expect(await frLine.textContent()).toBe(
      'Version figée à 1.21.4 : aucune mise à jour n’est proposée.',
    )
    await screenshot(frPinned, 'update-pinned-fr')
  })
})
