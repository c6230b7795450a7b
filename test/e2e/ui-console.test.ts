import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { BannerBackend } from '../pve-sim/backend'
import { screenshot } from './browser'
import { useUiSimScene } from './fixtures'
import { waitFor } from './stack'

/**
 * The console and the server log end to end: wrangler dev, a runner with the real executors,
 * the Proxmox simulator whose guests run a Minecraft with RCON and an sshd with a journal. A
 * command goes from the dashboard through the hub and the runner to the game's RCON and its answer
 * comes back; the server log is the game's journal read over SSH by the runner, live, and the
 * guest's sshd sees the session end once nobody watches.
 */
// RCON is opened to the runner's address: the runner says which it is.
const scene = useUiSimScene({ runnerEnv: { RUNNER_ADDRESS: '127.0.0.1' } })

interface Detail {
  deployment: { id: string; status: string; vmid: number | null }
}

const backend = () => scene.sim.cluster.opts.backend as BannerBackend

async function ready(name: string, game: string, config: Record<string, unknown>) {
  const created = await scene.api.ok<Detail>('POST', '/api/deployments', { name, game, config })
  const id = created.deployment.id
  const done = await waitFor(
    async () => {
      const d = await scene.api.ok<Detail>('GET', `/api/deployments/${id}`)
      if (d.deployment.status === 'failed') throw new Error(`${name}: the deploy failed`)
      return d.deployment.status === 'ready' ? d.deployment : null
    },
    `${name} ready`,
    90_000,
    200,
  )
  return { id, vmid: done.vmid ?? 0 }
}

/** The server log socket as a dashboard opens it, with the frames it got. */
function watchServerLog(id: string, lines = 50) {
  const url = `${scene.api.url.replace(/^http/, 'ws')}/api/deployments/${id}/server-log?lines=${lines}`
  const ws = new WebSocket(url, { headers: { cookie: scene.api.cookie, origin: scene.api.url } })
  const got: string[] = []
  ws.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString()) as { type: string; lines?: string[] }
    if (frame.lines) got.push(...frame.lines)
  })
  return { ws, got }
}

describe('console and server log', () => {
  it('sends commands and watches the journal through the API; the SSH session ends with the viewer', async () => {
    const { id, vmid } = await ready('console api', 'minecraft', { eula: true, rconEnabled: true })
    const { entry } = await scene.api.ok<{ entry: { answer: string | null; error: unknown } }>(
      'POST',
      `/api/deployments/${id}/console`,
      { command: 'whitelist add Alex' },
    )
    expect(entry).toMatchObject({ answer: 'Added Alex to the whitelist', error: null })
    expect(backend().worldOf(vmid).whitelist).toEqual(['Alex'])

    const { ws, got } = watchServerLog(id)
    await waitFor(() => got.some((l) => l.includes('Done (')), 'the start-up lines', 20_000)
    expect(got.some((l) => l.includes('[Rcon: Added Alex to the whitelist]'))).toBe(true)
    expect(backend().openExecs(vmid)).toBe(1)
    // Live: a command's line arrives while watching.
    await scene.api.ok('POST', `/api/deployments/${id}/console`, { action: 'op', arg: 'Alex' })
    await waitFor(
      () => got.some((l) => l.includes('[Rcon: Made Alex a server operator]')),
      'the live line',
      20_000,
    )
    ws.close()
    await waitFor(() => backend().openExecs(vmid) === 0, 'the SSH session to end', 20_000)
  })

  it('in the browser: console with history and quick actions, the live server log, in English, French and on a phone', async () => {
    const { id, vmid } = await ready('console ui', 'minecraft', { eula: true, rconEnabled: true })
    const page = await scene.openPage(`/deployments/${id}`)
    const card = page.locator('section.console')
    await card.getByLabel('Command').fill('list')
    await card.getByRole('button', { name: 'Send' }).click()
    await card.getByText('There are 0 of a max of 20 players online').waitFor()
    // A bad player name is refused in words, before anything is sent.
    await card.getByLabel('Player name').fill('no way!')
    await card.getByRole('button', { name: 'Add to whitelist' }).click()
    await card.getByText('3 to 16 letters, digits or _.').first().waitFor()
    expect(backend().worldOf(vmid).commands).toEqual(['list'])
    await card.getByLabel('Player name').fill('Steve')
    await card.getByRole('button', { name: 'Make operator' }).click()
    await card.getByText('Made Steve a server operator').waitFor()
    expect(backend().worldOf(vmid).ops).toEqual(['Steve'])

    const log = page.locator('section.server-log')
    await log.getByRole('button', { name: 'Watch the server log' }).click()
    await log.getByText(/Done \(/).waitFor({ timeout: 20_000 })
    await log.getByText('[Rcon: Made Steve a server operator]').waitFor()
    await waitFor(() => backend().openExecs(vmid) === 1, 'one SSH session', 10_000)
    await log.getByPlaceholder('Search').fill('[Rcon')
    await log.getByText(/^2 (lines )?of /).waitFor()
    await screenshot(page, 'console-server-log-en')
    await log.getByRole('button', { name: 'Stop watching' }).click()
    await waitFor(() => backend().openExecs(vmid) === 0, 'the SSH session to end', 20_000)

    const fr = await scene.openPage(`/deployments/${id}`, { lang: 'fr' })
    const frCard = fr.locator('section.console')
    await frCard.getByLabel('Nom du joueur').fill('Alex')
    await frCard.getByRole('button', { name: 'Ajouter à la liste blanche' }).click()
    await frCard.getByText('Added Alex to the whitelist').waitFor()
    await fr
      .locator('section.server-log')
      .getByRole('button', { name: 'Suivre le journal du serveur' })
      .click()
    await fr.locator('section.server-log').getByText('En direct', { exact: true }).waitFor()
    await fr
      .locator('section.server-log')
      .getByText(/Done \(/)
      .waitFor({ timeout: 20_000 })
    await screenshot(fr, 'console-server-log-fr')

    const phone = await scene.openPage(`/deployments/${id}`, { width: 390, height: 844 })
    await phone.locator('section.console').getByText('Made Steve a server operator').waitFor()
    await phone
      .locator('section.server-log')
      .getByRole('button', { name: 'Watch the server log' })
      .click()
    await phone
      .locator('section.server-log')
      .getByText(/Done \(/)
      .waitFor({ timeout: 20_000 })
    // Nothing wider than the phone's screen.
    const overflow = await phone.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    )
    expect(overflow).toBeLessThanOrEqual(0)
    await screenshot(phone, 'console-server-log-phone')
    // Leaving the page ends the sessions too.
    await fr.close()
    await phone.close()
    await waitFor(() => backend().openExecs(vmid) === 0, 'every SSH session to end', 20_000)
  })

  it('says Valheim has no console, in French', async () => {
    const { id } = await ready('viking', 'valheim', {
      serverName: 'Vikings',
      worldName: 'Midgard',
      password: 'secret123',
    })
    const page = await scene.openPage(`/deployments/${id}`, { lang: 'fr' })
    await page
      .locator('section.console')
      .getByText(/n’a pas de console/)
      .waitFor()
    await screenshot(page, 'console-valheim-fr')
  })
})
