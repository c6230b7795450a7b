import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { PveSimulator } from '../pve-sim/index'
import { killAllRunners, startRunner, registerRunner } from '../runner/harness'
import { gameUpstreamEnv, startSimulator } from './sim-stack'
import { launchBrowser, newPage, pickGame, screenshot, signIn } from './browser'
import { cleanup, startStack, waitFor, type Stack } from './stack'

/**
 * First run in headless Chromium against a fresh `wrangler dev` and the Proxmox simulator: the
 * whole setup wizard (with a browser closed midway; the connection tested for real through a
 * runner with the product's executors), then sign-in, session expiry, sign-out, and the app in
 * French, dark, at phone width.
 */
let stack: Stack
let sim: PveSimulator
let browser: Browser
const contexts: BrowserContext[] = []
const dirs: string[] = []
const ADMIN = { username: 'admin', password: 'e2e admin password' }

async function open(options: Parameters<typeof newPage>[2] = {}): Promise<Page> {
  const { context, page } = await newPage(browser, stack.url, options)
  contexts.push(context)
  return page
}

/** The wizard step marked current in the progress list. */
async function currentStep(page: Page, name: string): Promise<void> {
  await page
    .locator('.wizard-steps li[aria-current="step"]', { hasText: name })
    .waitFor({ timeout: 15_000 })
}

async function fillProxmox(page: Page): Promise<void> {
  const field = (label: string) => page.getByLabel(label, { exact: true })
  await field('API URL').fill(sim.url)
  await field('Node').fill(sim.options.node)
  await field('API token ID').fill(sim.token.tokenId)
  await field('API token secret').fill(sim.token.secret)
  await field('Certificate check').selectOption('fingerprint')
  await field('SHA-256 fingerprint').fill(sim.fingerprint)
  await field('Resource pool').fill('pgd')
  await field('Network (CIDR)').fill('127.78.0.0/16')
  await field('First address for servers').fill('127.78.0.10')
  await field('Last address for servers').fill('127.78.0.200')
  await field('Gateway').fill('127.78.0.1')
  await field('DNS servers').fill('127.78.0.1')
  // The simulated VMs answer SSH on 2222. Typed last, so it is the focused field when the
  // screenshot resizes the viewport: the case that once ate the click on Save.
  await field('SSH port').fill('2222')
}

beforeAll(async () => {
  stack = await startStack()
  sim = await startSimulator()
  browser = await launchBrowser()
}, 180_000)

afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close()
})

afterAll(async () => {
  await browser?.close()
  await killAllRunners()
  await sim?.stop()
  await stack?.stop()
  for (const d of dirs.splice(0)) cleanup(d)
})

describe('the setup wizard and the session', () => {
  it('walks a new install from the admin account to a tested connection, resuming after the browser closes', async () => {
    // A French visitor is asked for the setup code too, and told where to find it.
    const fr = await open({ locale: 'fr-FR' })
    await fr.goto('/')
    await fr.getByLabel('Code d’installation').waitFor()
    await fr.getByText('npm start et npm run demo l’affichent dans leur terminal').waitFor()
    await screenshot(fr, '00-wizard-1-admin-fr')

    let page = await open()
    await page.goto('/')
    await currentStep(page, 'Admin account')
    await page.getByText('npm start and npm run demo print it in their terminal').waitFor()
    await screenshot(page, '00-wizard-1-admin')
    // Without the right setup code nobody becomes the admin.
    await page.getByLabel('Setup code').fill('WRONG-SETUP-CODE0-AAAAA')
    await page.getByLabel('Password').fill(ADMIN.password)
    await page.getByRole('button', { name: 'Create admin account' }).click()
    await page.getByText('This is not the setup code of this dashboard.').waitFor()
    await expect(page.getByLabel('Setup code').getAttribute('aria-invalid')).resolves.toBe('true')
    await currentStep(page, 'Admin account')
    // A wrong code makes this address wait before its next try is looked at (1 s at first).
    await page.getByRole('button', { name: 'Create admin account' }).click()
    await page.getByText(/^Too many failed attempts: wait 1 s/).waitFor()
    await page.waitForTimeout(1_100)
    await page.getByLabel('Setup code').fill(stack.setupCode.toLowerCase())
    await page.getByRole('button', { name: 'Create admin account' }).click()

    await currentStep(page, 'Proxmox connection')
    // Bad input first: the API's message lands on the field.
    await page.getByLabel('API URL', { exact: true }).fill('not a url')
    await page.getByRole('button', { name: 'Save and continue' }).click()
    await page.getByText('Some fields need attention.').waitFor()
    await expect(
      page.getByLabel('API URL', { exact: true }).getAttribute('aria-invalid'),
    ).resolves.toBe('true')
    await fillProxmox(page)
    // The commands that prepare a least-privilege token, with the values just typed.
    await page.getByText('Prepare Proxmox: a token with the least privileges').click()
    const setup = (await page.getByTestId('token-setup-commands').textContent()) ?? ''
    expect(setup).toContain('pveum pool add pgd')
    expect(setup).toContain(
      "pveum acl modify /pool/pgd --users deployer@pve --tokens 'deployer@pve!pgd' --roles PGDVMs",
    )
    await screenshot(page, '00-wizard-2-proxmox')
    await page.getByRole('button', { name: 'Save and continue' }).click()
    await currentStep(page, 'Register a runner')

    // The browser closes here; a new one signs in and lands back on the runner step.
    await contexts.pop()?.close()
    page = await open()
    await page.goto('/')
    await signIn(page, ADMIN.username, ADMIN.password)
    await currentStep(page, 'Register a runner')
    expect(new URL(page.url()).pathname).toBe('/setup')

    await page.getByLabel('Runner name').fill('homelab')
    await page.getByRole('button', { name: 'Add runner' }).click()
    const command = (await page.getByTestId('runner-command').textContent()) ?? ''
    expect(command).toContain(`ansible/install_runner.yml -e pgd_server=${stack.url}`)
    const code = /pgd_code=(\S+)/.exec(command)?.[1] ?? ''
    // The by-hand path registers with the same code, into the unit's state directory.
    const manual = (await page.getByTestId('runner-manual').textContent()) ?? ''
    expect(manual).toContain(`--server ${stack.url} --code ${code} --name homelab`)
    expect(manual).toContain('--state-dir /var/lib/pgd-runner')
    await page.getByText('Waiting for the runner to connect…').waitFor()
    await screenshot(page, '00-wizard-3-runner-waiting')

    const state = mkdtempSync(join(tmpdir(), 'pgd-e2e-ui-wizard-'))
    dirs.push(state)
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: state,
      RUNNER_STATE_DIR: state,
      RUNNER_EXECUTOR: 'real',
      RUNNER_PROVISIONER: 'simulated',
      ...(await gameUpstreamEnv()),
      RUNNER_HEARTBEAT_INTERVAL_MS: '500',
    }
    await registerRunner(stack.url, code, env)
    await startRunner(['run'], env)
    await page.getByText('Runner “homelab” is connected.').waitFor({ timeout: 20_000 })
    await screenshot(page, '00-wizard-3-runner-connected')
    await page.getByRole('button', { name: 'Continue' }).click()

    await currentStep(page, 'Test connection')
    await page.getByRole('button', { name: 'Test connection' }).click()
    await page.getByText('Tested from runner “homelab”:').waitFor({ timeout: 20_000 })
    const checks = page.locator('.checks li')
    await expect(checks.count()).resolves.toBeGreaterThan(0)
    await expect(page.locator('.checks li.bad').count()).resolves.toBe(0)
    // The real checks, answered by the simulator: version, node, token rights, template…
    await expect(checks.first().textContent()).resolves.toMatch(/✓ API.*Proxmox VE 9\.1/)
    await expect(checks.count()).resolves.toBe(7)
    await page.getByText("new VMs go into pool 'pgd'").waitFor()
    await screenshot(page, '00-wizard-4-test')
    await page.getByRole('button', { name: 'Finish' }).click()

    // The template step offers the job that builds one; this install made its own by hand.
    await currentStep(page, 'Template')
    await page.getByRole('button', { name: 'Prepare the template' }).waitFor()
    await expect(
      page.getByRole('button', { name: 'Continue', exact: true }).isDisabled(),
    ).resolves.toBe(true)
    await screenshot(page, '00-wizard-5-template')
    await page.getByRole('button', { name: 'Skip: I made a template by hand' }).click()

    await page.getByRole('heading', { name: 'All set' }).waitFor()
    await screenshot(page, '00-wizard-6-done')
    await page.getByRole('link', { name: 'Go to the dashboard' }).click()
    await page.getByRole('heading', { level: 1, name: 'Deployments' }).waitFor()
    await page.getByText('No deployments yet.').waitFor()
  })

  it('sends an expired session to sign-in, then back to the page it was on', async () => {
    const page = await open()
    await page.goto('/settings')
    await signIn(page, ADMIN.username, ADMIN.password)
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor()
    await page.getByRole('heading', { level: 2, name: 'Proxmox connection' }).waitFor()
    // The saved settings load into the form; the secret itself never comes back.
    await waitFor(
      async () => (await page.getByLabel('API URL', { exact: true }).inputValue()) === sim.url,
      'the saved API URL in the form',
    )
    await expect(
      page.getByText('A secret is stored. Leave empty to keep it.').isVisible(),
    ).resolves.toBe(true)
    await expect(page.getByLabel('SSH port', { exact: true }).inputValue()).resolves.toBe('2222')
    await screenshot(page, '17-settings')

    await page.context().clearCookies()
    await page.getByRole('link', { name: 'Audit log' }).click()
    await page.getByText('Your session has ended. Sign in again to continue.').waitFor()
    await screenshot(page, '02-login-expired')
    await signIn(page, ADMIN.username, ADMIN.password)
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor()
    expect(new URL(page.url()).pathname).toBe('/audit')
    await page.getByRole('cell', { name: 'Tested the Proxmox connection' }).first().waitFor()
    await screenshot(page, '18-audit')

    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    await page.reload()
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
  })

  it('asks for the token secret again, next to its field, when the API URL changes', async () => {
    const page = await open()
    await page.goto('/settings')
    await signIn(page, ADMIN.username, ADMIN.password)
    const apiUrl = page.getByLabel('API URL', { exact: true })
    await waitFor(async () => (await apiUrl.inputValue()) === sim.url, 'the saved API URL')
    // The token secret is the one stored secret so far, under the current key.
    await page.getByText(/^1 stored secret, all encrypted with the current key/).waitFor()
    const again = page.getByText('You changed where or how the token is sent')
    await expect(again.isVisible()).resolves.toBe(false)
    await apiUrl.fill('https://127.0.0.2:8006')
    await again.waitFor()
    await screenshot(page, '17-settings-secret-again')
    await page
      .getByRole('region', { name: 'Proxmox connection' })
      .getByRole('button', { name: 'Save', exact: true })
      .click()
    await page.getByText('Type the secret again to save this change.').waitFor()
    await expect(
      page.getByLabel('API token secret', { exact: true }).getAttribute('aria-invalid'),
    ).resolves.toBe('true')
    // Nothing was saved: the token still goes only to the simulator.
    const savedUrl = await page.evaluate(async () => {
      const res = await fetch('/api/settings/proxmox')
      return ((await res.json()) as { proxmox: { apiUrl: string } }).proxmox.apiUrl
    })
    expect(savedUrl).toBe(sim.url)
    // Back to the saved URL: no secret needed, the hint goes.
    await apiUrl.fill(sim.url)
    await expect(again.isVisible()).resolves.toBe(false)
  })

  it('speaks French to a French browser, in dark mode, at phone width', async () => {
    const page = await open({ locale: 'fr-FR', colorScheme: 'dark', width: 390, height: 844 })
    await page.goto('/runners')
    await page.getByRole('heading', { name: 'Connexion' }).waitFor()
    await screenshot(page, '01-login-fr-phone-dark')
    await page
      .getByLabel('Nom d’utilisateur')
      .or(page.getByLabel("Nom d'utilisateur"))
      .fill(ADMIN.username)
    await page.getByLabel('Mot de passe').fill(ADMIN.password)
    await page.getByRole('button', { name: 'Se connecter', exact: true }).click()
    await page.getByRole('heading', { level: 1, name: 'Runners' }).waitFor()
    await page.getByText('En ligne').first().waitFor()
    await screenshot(page, '19-runners-fr-phone-dark')
    await page.getByRole('link', { name: 'Déploiements' }).click()
    await page.getByRole('link', { name: 'Nouveau déploiement' }).first().click()
    await pickGame(page)
    await page.getByText('Paramètres avancés').waitFor()
    await screenshot(page, '20-new-deployment-fr-phone-dark')
    // Switching back to English is one select away, and sticks.
    await page.getByLabel('Langue').selectOption('en')
    await page.getByRole('heading', { level: 1, name: 'New deployment' }).waitFor()
  })
})
