import { spawn, type ChildProcess } from 'node:child_process'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, newPage, pickGame, screenshot } from './browser'
import { freePort, waitFor } from './stack'

/**
 * `npm run demo` as a new user meets it: the script itself (simulator, simulated game
 * publishers, wrangler dev, a registered runner), then the dashboard in a browser, from the
 * first visit to a Minecraft and a Valheim server that each answer as they were configured.
 * Its VMs get addresses in 127.84.0.0/16, away from the other tests'.
 */

const ROOT = new URL('../../', import.meta.url).pathname
let demo: ChildProcess
let output = ''
let url = ''
let browser: Browser

beforeAll(async () => {
  const port = await freePort()
  const simPort = await freePort()
  demo = spawn(
    process.execPath,
    [
      'node_modules/.bin/tsx',
      'tools/demo/main.ts',
      '--port',
      String(port),
      '--sim-port',
      String(simPort),
      '--skip-build',
      '--vm-net',
      '127.84.0.0/16',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  )
  demo.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  demo.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  await waitFor(
    () => {
      if (demo.exitCode !== null) throw new Error(`the demo exited ${demo.exitCode}:\n${output}`)
      return /demo: ready\. Open (http:\/\/localhost:\d+)/.exec(output)?.[1] ?? null
    },
    'the demo to say it is ready',
    150_000,
    250,
  ).then((found) => (url = found.replace('localhost', '127.0.0.1')))
  browser = await launchBrowser()
}, 180_000)

afterAll(async () => {
  await browser?.close()
  if (demo?.pid && demo.exitCode === null) {
    // The demo stops what it started on SIGTERM; the group kill is the fallback.
    process.kill(-demo.pid, 'SIGTERM')
    await new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (demo.exitCode === null && demo.pid) process.kill(-demo.pid, 'SIGKILL')
        resolve(null)
      }, 15_000)
      demo.once('exit', () => {
        clearTimeout(timer)
        resolve(null)
      })
    })
  }
})

async function statusIs(page: Page, label: string, timeout = 60_000): Promise<void> {
  await page
    .locator('.page-head .badge', { hasText: new RegExp(`^${label}$`) })
    .waitFor({ timeout })
}

describe('npm run demo', () => {
  it('prints its options with --help', async () => {
    const help = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['node_modules/.bin/tsx', 'tools/demo/main.ts', '--help'],
        {
          cwd: ROOT,
        },
      )
      let text = ''
      child.stdout.on('data', (c: Buffer) => (text += c.toString()))
      child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`exit ${code}`))))
    })
    for (const option of ['--port', '--sim-port', '--skip-build', '--vm-net']) {
      expect(help).toContain(option)
    }
  })

  it('takes a new user from the first visit to a Minecraft and a Valheim server answering as configured', async () => {
    const { page } = await newPage(browser, url)
    await page.goto('/')
    // The one-time setup code the demo printed: without it nobody becomes the admin.
    const setupCode = /demo: with the setup code (\S+)/.exec(output)?.[1] ?? ''
    expect(setupCode).not.toBe('')
    await page.getByLabel('Setup code').fill(setupCode)
    await page.getByLabel('Username').fill('admin')
    await page.getByLabel('Password').fill('demo admin password')
    await page.getByRole('button', { name: 'Create admin account' }).click()
    // The connection and the runner are set up already: the wizard goes on to the test.
    await page.getByRole('button', { name: 'Test connection' }).click()
    await page.getByText('Tested from runner “demo-runner”:').waitFor({ timeout: 30_000 })
    await screenshot(page, '50-demo-tested')
    await page.getByRole('button', { name: 'Finish' }).click()
    // The simulator has its template already.
    await page.getByRole('button', { name: 'Skip: I made a template by hand' }).click()

    await page.goto('/deployments/new')
    await pickGame(page)
    await page.getByLabel('Name', { exact: true }).fill('friends')
    await page.getByLabel('Edition', { exact: true }).selectOption('paper')
    await page.getByRole('radio', { name: 'A specific version' }).check()
    await page.getByLabel('Version number').fill('1.21.4')
    await page.getByLabel('Message of the day').fill('Friends only')
    await page.getByLabel('Max players').fill('8')
    await page.getByLabel(/I accept the Minecraft End User License Agreement/).check()
    await page.getByRole('button', { name: 'Deploy' }).click()
    await page.getByRole('heading', { level: 1, name: 'friends' }).waitFor()
    await statusIs(page, 'Ready')
    const minecraft = page.locator('.result')
    await minecraft.getByText('Paper 1.21.4', { exact: true }).waitFor()
    await page
      .getByRole('log')
      .getByText('verify: Paper 1.21.4, "Friends only", 0/8 players')
      .waitFor()
    await screenshot(page, '51-demo-minecraft-ready')

    await page.goto('/deployments/new')
    await pickGame(page, /^Valheim/)
    await page.getByLabel('Name', { exact: true }).fill('vikings')
    await page.getByLabel('Server name').fill('Midgard')
    await page.getByLabel('Server password', { exact: true }).fill('skol-2026')
    await page.getByRole('button', { name: 'Deploy' }).click()
    await page.getByRole('heading', { level: 1, name: 'vikings' }).waitFor()
    await statusIs(page, 'Ready')
    await page
      .getByRole('log')
      .getByText(/verify: "Midgard" \(Valheim /)
      .waitFor()
    await screenshot(page, '52-demo-valheim-ready')
    expect(output).not.toContain('skol-2026')
  })
})
