import { decodeBase32IgnorePadding } from '@oslojs/encoding'
import { generateTOTP } from '@oslojs/otp'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { newPage, screenshot, SCREENSHOTS } from './browser'
import { openSignedIn, statusIs, useUiSimScene } from './fixtures'
import { waitFor } from './stack'

/**
 * A friend who runs their own server: the owner invites an operator limited to one deployment,
 * the friend joins through the one-time link in another browser, sees only that server, stops
 * and starts it, and finds neither Settings in the menu nor behind its address. In headless
 * Chromium against wrangler dev, a real runner and the Proxmox simulator.
 */
const scene = useUiSimScene({ sim: { timing: { cloneMs: 200, startMs: 100 } } })

/**
 * Chromium's virtual authenticator (DevTools WebAuthn domain) on `page`: a platform passkey
 * store with user verification that answers at once, as a laptop's fingerprint reader would.
 */
async function addVirtualAuthenticator(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('WebAuthn.enable')
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  })
}

async function deployReady(name: string): Promise<string> {
  const { deployment } = await scene.api.ok<{ deployment: { id: string } }>(
    'POST',
    '/api/deployments',
    { name, game: 'minecraft', config: { eula: true } },
  )
  await waitFor(
    async () =>
      (
        await scene.api.ok<{ deployment: { status: string } }>(
          'GET',
          `/api/deployments/${deployment.id}`,
        )
      ).deployment.status === 'ready',
    `${name} ready`,
    120_000,
    500,
  )
  return deployment.id
}

describe('people: an operator limited to one server', () => {
  it('is invited by the owner, joins, sees and operates only that server, and not Settings', async () => {
    await deployReady('friend world')
    const other = await deployReady('other world')

    // The owner invites an operator of "friend world" only.
    const owner = await openSignedIn(scene, '/users')
    await owner.getByRole('heading', { level: 1, name: 'Users' }).waitFor()
    await owner.getByLabel('Role', { exact: true }).selectOption('operator')
    await owner.getByLabel('Only the servers chosen below').check()
    await owner.getByLabel('friend world').selectOption('operate')
    await owner.getByRole('button', { name: 'Create the invite link' }).click()
    const link = (await owner.getByTestId('one-time-link').textContent()) ?? ''
    expect(link).toMatch(/\/join#[A-Za-z0-9_-]{40,}$/)
    await screenshot(owner, '90-people-invite-en')
    // Owners see (and may set) whether everyone needs a second factor, in Settings.
    await owner.goto('/settings')
    const policy = owner.getByLabel('Require a second factor for every account')
    await policy.waitFor()
    await expect(policy.isChecked()).resolves.toBe(false)
    await expect(policy.isEnabled()).resolves.toBe(true)
    await owner.locator('#second-factor-policy-title').scrollIntoViewIfNeeded()
    await owner.screenshot({ path: join(SCREENSHOTS, '90a-people-policy-en.png') })
    await owner.getByLabel('Check Cloudflare Access on every request').waitFor()
    await owner
      .locator('section[aria-labelledby="access-title"]')
      .screenshot({ path: join(SCREENSHOTS, '90e-people-access-en.png') })

    // The friend, in a browser of their own, joins with the link. They use the dashboard by
    // name (localhost), as passkeys need: WebAuthn refuses a bare IP address as the site.
    const byName = scene.api.url.replace('127.0.0.1', 'localhost')
    const { context, page } = await newPage(scene.browser, byName)
    scene.contexts.push(context)
    await addVirtualAuthenticator(page)
    await page.goto(link.replace(scene.api.url, byName))
    await page.getByText('You are invited as Operator.').waitFor()
    await page.getByLabel('Username').fill('friend')
    await page.getByLabel('Password', { exact: true }).fill('friend password 123')
    await page.getByLabel('Password again').fill('friend password 123')
    await page.getByRole('button', { name: 'Create my account' }).click()

    // They turn on two-step sign-in: scan (here: read) the key, type the app's code.
    await page.getByRole('heading', { level: 1, name: 'Deployments' }).waitFor()
    await page.getByRole('link', { name: 'Security' }).click()
    await page.getByRole('button', { name: 'Set up' }).click()
    await page.locator('img.qr').waitFor()
    const secret = (await page.getByTestId('totp-secret').textContent()) ?? ''
    await screenshot(page, '90b-people-totp-enrol-en')
    await page
      .getByLabel('Code from your authenticator app')
      .fill(generateTOTP(decodeBase32IgnorePadding(secret), 30, 6))
    await page.getByRole('button', { name: 'Turn on' }).click()
    await page.getByTestId('recovery-codes').locator('li').nth(9).waitFor()
    await expect(page.getByTestId('recovery-codes').locator('li').count()).resolves.toBe(10)
    await screenshot(page, '90c-people-recovery-codes-en')
    await page.getByRole('button', { name: 'I have saved them' }).click()
    await page.getByText(/^On\. 10 recovery codes left/).waitFor()

    // They add a passkey on this device (the virtual authenticator), then name it better.
    await page.getByLabel('Name of the new passkey').fill('Laptop')
    await page.getByRole('button', { name: 'Add a passkey' }).click()
    await page.getByText('Passkey Laptop added.').waitFor()
    await page.getByRole('button', { name: 'Rename Laptop' }).click()
    await page.getByLabel('Rename', { exact: true }).fill('Work laptop')
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await page.getByRole('cell', { name: 'Work laptop', exact: true }).waitFor()
    await screenshot(page, '90d-people-passkey-added-en')

    // Only their server, no New deployment, no admin screens in the menu.
    await page.getByRole('link', { name: 'Deployments' }).click()
    await page.getByRole('heading', { level: 1, name: 'Deployments' }).waitFor()
    await page.getByRole('link', { name: 'friend world' }).waitFor()
    await expect(page.getByRole('link', { name: 'other world' }).count()).resolves.toBe(0)
    await expect(page.getByRole('link', { name: 'New deployment' }).count()).resolves.toBe(0)
    const nav = page.getByRole('navigation')
    for (const hidden of ['Settings', 'Runners', 'Users', 'Audit log'])
      await expect(nav.getByRole('link', { name: hidden }).count()).resolves.toBe(0)
    await expect(page.locator('.who').textContent()).resolves.toBe('friend · Operator')
    await screenshot(page, '91-people-operator-list-en')

    // They stop and start it.
    await page.getByRole('link', { name: 'friend world' }).click()
    await statusIs(page, 'Ready')
    await page.getByRole('button', { name: 'Stop', exact: true }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Stop' }).click()
    await statusIs(page, 'Stopped')
    await page.getByRole('button', { name: 'Start', exact: true }).click()
    await statusIs(page, 'Ready')
    await screenshot(page, '92-people-operator-started-en')

    // The other server is not there for them, and Settings is refused.
    await page.goto(`/deployments/${other}`)
    await page.getByText('Deployment not found.').waitFor()
    await page.goto('/settings')
    await page.getByTestId('not-allowed').waitFor()
    await expect(page.getByRole('heading', { name: 'Proxmox connection' }).count()).resolves.toBe(0)
    await screenshot(page, '93-people-operator-settings-refused-en')

    // The audit log names who did it.
    const { entries } = await scene.api.ok<{ entries: { actor: string; action: string }[] }>(
      'GET',
      '/api/audit?limit=50',
    )
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actor: 'friend', action: 'deployment.stop_requested' }),
        expect.objectContaining({ actor: 'friend', action: 'deployment.start_requested' }),
      ]),
    )

    // They sign out, and back in with the passkey alone: no password, no code.
    await page.goto('/deployments')
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('button', { name: 'Sign in with a passkey' }).waitFor()
    await screenshot(page, '93b-people-login-passkey-en')
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
    await page.getByRole('link', { name: 'friend world' }).waitFor()
    await expect(page.locator('.who').textContent()).resolves.toBe('friend · Operator')
    const signIns = await scene.api.ok<{ entries: { actor: string; action: string }[] }>(
      'GET',
      '/api/audit?limit=20',
    )
    expect(signIns.entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actor: 'friend', action: 'auth.login' }),
        expect.objectContaining({ actor: 'friend', action: 'auth.passkey_added' }),
      ]),
    )

    // In French: the friend's list and refusal, the owner's Users page.
    await page.evaluate(() => localStorage.setItem('pgd.lang', 'fr'))
    await page.goto('/deployments')
    await page.getByRole('link', { name: 'friend world' }).waitFor()
    await expect(page.locator('.who').textContent()).resolves.toBe('friend · Opérateur')
    await screenshot(page, '94-people-operator-list-fr')
    await page.goto('/settings')
    await page.getByText('Non disponible avec votre rôle').waitFor()
    await screenshot(page, '95-people-operator-settings-refused-fr')
    await page.goto('/security')
    await page.getByRole('heading', { name: 'Clés d’accès' }).waitFor()
    await page.getByRole('cell', { name: 'Work laptop', exact: true }).waitFor()
    await screenshot(page, '95b-people-passkeys-fr')
    await page.getByRole('button', { name: 'Se déconnecter' }).click()
    await page.getByRole('button', { name: 'Se connecter avec une clé d’accès' }).waitFor()
    await screenshot(page, '95c-people-login-passkey-fr')
    const ownerFr = await openSignedIn(scene, '/users', { lang: 'fr' })
    await ownerFr.getByRole('heading', { level: 1, name: 'Utilisateurs' }).waitFor()
    await expect(ownerFr.getByLabel('Rôle de friend').inputValue()).resolves.toBe('operator')
    await screenshot(ownerFr, '96-people-users-fr')
    await ownerFr.getByRole('button', { name: 'Modifier les serveurs de friend' }).click()
    await ownerFr.getByRole('form', { name: 'Serveurs accessibles à friend' }).waitFor()
    await screenshot(ownerFr, '96b-people-servers-edit-fr')
    await ownerFr.goto('/settings')
    await ownerFr.getByLabel('Vérifier Cloudflare Access à chaque requête').waitFor()
    await ownerFr
      .locator('section[aria-labelledby="access-title"]')
      .screenshot({ path: join(SCREENSHOTS, '96c-people-access-fr.png') })

    // The owner changes the friend's servers: "other world" to watch, "friend world" no more.
    await owner.goto('/users')
    await owner.getByRole('button', { name: 'Change the servers of friend' }).click()
    const editor = owner.getByRole('form', { name: 'Servers friend can reach' })
    await expect(editor.getByLabel('friend world').inputValue()).resolves.toBe('operate')
    await editor.getByLabel('friend world').selectOption('')
    await editor.getByLabel('other world').selectOption('view')
    await screenshot(owner, '96a-people-servers-edit-en')
    await editor.getByRole('button', { name: 'Save', exact: true }).click()
    await editor.waitFor({ state: 'detached' })
    // Signed out by the change, the friend signs back in and finds only "other world".
    await page.getByRole('button', { name: 'Se connecter avec une clé d’accès' }).click()
    await page.getByRole('link', { name: 'Déploiements' }).click()
    await page.getByRole('link', { name: 'other world' }).waitFor()
    await expect(page.getByRole('link', { name: 'friend world' }).count()).resolves.toBe(0)
    await screenshot(page, '97-people-servers-changed-fr')
  }, 300_000)
})
