import { join } from 'node:path'
import type { Server } from 'node:http'
import type { Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { startReceiver, verify } from './alert-receiver'
import { SCREENSHOTS } from './browser'
import { useUiSimScene } from './fixtures'
import { freePort, waitFor } from './stack'

/**
 * Settings → Alerts in the browser: add a signed webhook channel with its events (the scheduled
 * action's among them), see the signing secret once, send a test that a loopback receiver checks,
 * see it in the delivery log next to a failed one, set the waits; in English, French and at phone
 * width, with screenshots.
 */
const scene = useUiSimScene({ vars: ['TARGET_MODE:demo'] })
let receiver: Server | undefined
afterAll(() => receiver?.close())

const card = (page: Page) => page.locator('#alerts')

async function shoot(page: Page, name: string): Promise<void> {
  await card(page).screenshot({ path: join(SCREENSHOTS, `${name}.png`) })
}

async function noSideScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  )
  expect(overflow).toBeLessThanOrEqual(0)
}

describe('alert settings', () => {
  it('adds a channel, sends a test the receiver can verify, logs it, and sets the waits', async () => {
    const port = await freePort()
    const r = await startReceiver(port)
    receiver = r.server
    const page = await scene.openPage('/settings')
    const alerts = card(page)
    await alerts.getByRole('heading', { name: 'Alerts' }).scrollIntoViewIfNeeded()
    await alerts.getByText('No alert channel yet.').waitFor()

    // A refused address is said under its field, in words.
    await alerts.getByRole('button', { name: 'Add a channel' }).click()
    await alerts.getByLabel('Name').fill('on call')
    await alerts.getByLabel('Kind').selectOption('webhook')
    await alerts.getByLabel('Webhook address').fill('https://10.1.2.3/hook')
    await alerts.getByRole('button', { name: 'Save', exact: true }).click()
    await alerts.getByText('the address must be a public host').waitFor()

    await alerts.getByLabel('Webhook address').fill(`http://127.0.0.1:${port}/hook`)
    // Every event is offered, and on by default; this channel leaves "ready" out.
    for (const event of ['a scheduled action fails', 'a backup fails', 'a runner is back online'])
      await expect(alerts.getByLabel(event).isChecked()).resolves.toBe(true)
    await alerts.getByLabel('a deployment is ready').uncheck()
    await alerts.getByRole('button', { name: 'Save', exact: true }).click()
    const shown = await alerts.getByText('The signing secret, shown this once').textContent()
    const secret = /([0-9a-f]{64})/.exec(shown ?? '')?.[1]
    expect(secret).toBeTruthy()
    const channel = alerts.getByRole('article', { name: 'on call' })
    await expect(channel.textContent()).resolves.toContain('a scheduled action fails')
    await expect(channel.textContent()).resolves.not.toContain('a deployment is ready')

    await channel.getByRole('button', { name: 'Send test' }).click()
    // The outcome is told in the channel whose button was pressed.
    await channel.getByText('The test alert was delivered (HTTP 200).').waitFor()
    const got = await waitFor(() => r.got[0], 'the test at the receiver')
    expect(verify(secret ?? '', got)).toBe(true)
    await channel.getByRole('cell', { name: 'delivered (HTTP 200)' }).waitFor()

    // A second channel whose receiver is not there: its test fails and says why.
    await alerts.getByRole('button', { name: 'Add a channel' }).click()
    await alerts.getByLabel('Name').fill('backup hook')
    await alerts.getByLabel('Kind').selectOption('webhook')
    const closed = await freePort()
    await alerts.getByLabel('Webhook address').fill(`http://127.0.0.1:${closed}/gone`)
    await alerts.getByRole('button', { name: 'Save', exact: true }).click()
    const second = alerts.getByRole('article', { name: 'backup hook' })
    await second.getByRole('button', { name: 'Send test' }).click()
    await second
      .getByText(/The test alert was not delivered: the receiver could not be reached/)
      .waitFor()
    await second.getByRole('cell', { name: 'the receiver could not be reached' }).waitFor()

    // The waits: an out-of-range value is refused by name, a good one is kept.
    const grace = alerts.getByLabel('Server down after (minutes)')
    await expect(grace.inputValue()).resolves.toBe('3')
    await expect(alerts.getByLabel('Runner offline after (minutes)').inputValue()).resolves.toBe(
      '10',
    )
    await grace.fill('4')
    await alerts.getByRole('button', { name: 'Save the waits' }).click()
    await alerts.locator('.alert-timing').getByText('Saved.').waitFor()
    expect(
      (
        await scene.api.ok<{ timing: { serverDownGraceMinutes: number } }>(
          'GET',
          '/api/alerts/timing',
        )
      ).timing.serverDownGraceMinutes,
    ).toBe(4)
    await shoot(page, 'alerts-settings-en')

    // French, same screen.
    const fr = await scene.openPage('/settings', { lang: 'fr' })
    const frCard = card(fr)
    await frCard.getByRole('heading', { name: 'Alertes' }).scrollIntoViewIfNeeded()
    await frCard.getByRole('article', { name: 'on call' }).waitFor()
    await expect(frCard.textContent()).resolves.toMatch(/une action planifiée échoue/)
    await frCard.getByRole('cell', { name: 'le destinataire est injoignable' }).waitFor()
    await frCard.getByRole('button', { name: 'Envoyer un test' }).first().waitFor()
    await expect(frCard.getByLabel('Serveur tombé après (minutes)').inputValue()).resolves.toBe('4')
    await shoot(fr, 'alerts-settings-fr')

    // A phone: the card fits the width, the log reads as cards.
    const phone = await scene.openPage('/settings', { width: 390, height: 844, lang: 'fr' })
    await card(phone).getByRole('article', { name: 'on call' }).waitFor()
    await noSideScroll(phone)
    await shoot(phone, 'alerts-settings-phone-fr')
    const phoneEn = await scene.openPage('/settings', { width: 390, height: 844 })
    await card(phoneEn).getByRole('article', { name: 'backup hook' }).waitFor()
    await phoneEn
      .getByRole('article', { name: 'on call' })
      .getByRole('button', { name: 'Edit' })
      .click()
    await card(phoneEn).getByLabel('a scheduled action fails').waitFor()
    await noSideScroll(phoneEn)
    await shoot(phoneEn, 'alerts-settings-phone-edit-en')
  })
})
