import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decryptSecret, SECRET_CONTEXTS } from '../../worker/crypto/seal'
import { d1Rows } from './local-d1'
import { killAllRunners, startRunner, registerRunner } from '../runner/harness'
import {
  ApiClient,
  cleanup,
  DashboardSocket,
  E2E_PROXMOX,
  prepareInstall,
  startStack,
  waitFor,
  type Stack,
} from './stack'

/**
 * Secret scan: after a whole deployment whose executors print every secret they hold in
 * the usual shapes, no token secret, password, RCON password, runner key or APP_ENC_KEY appears in
 * any log line, API response, the runner's output or the worker's.
 */
const ROOT = new URL('../../', import.meta.url).pathname
const ADMIN_PASSWORD = 'e2e admin password'
let stack: Stack
const dirs: string[] = []

beforeAll(async () => {
  stack = await startStack()
}, 120_000)
afterAll(async () => {
  await killAllRunners()
  await stack?.stop()
  for (const d of dirs) cleanup(d)
})

describe('secret scan', () => {
  it('finds no secret anywhere after a deployment that tried to print them all', async () => {
    const api = new ApiClient(stack.url)
    const { code } = await prepareInstall(api)
    const state = mkdtempSync(join(tmpdir(), 'pgd-e2e-secrets-'))
    dirs.push(state)
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: state,
      RUNNER_STATE_DIR: state,
      RUNNER_EXECUTOR: 'fake',
      RUNNER_LOG_LEVEL: 'debug',
      RUNNER_FAKE_STEP_DELAY_MS: '10',
      RUNNER_FAKE_LINES_PER_STEP: '2',
      RUNNER_FAKE_LEAK_SECRETS: '1',
    }
    await registerRunner(api.url, code, env)
    const runner = await startRunner(['run'], env)
    const { deployment } = await api.ok<{ deployment: { id: string } }>(
      'POST',
      '/api/deployments',
      {
        name: 'secretive',
        game: 'minecraft',
        config: { eula: true, rconEnabled: true },
      },
    )
    const dash = new DashboardSocket(api, deployment.id)
    await dash.opened()
    await waitFor(
      () => dash.status === 'ready',
      `ready (states: ${dash.states.join(' → ')})`,
      60_000,
    )

    // The secrets, from where they really live.
    const devVars = readFileSync(join(ROOT, '.dev.vars'), 'utf8')
    const encKey = /^APP_ENC_KEY=(.*)$/m.exec(devVars)?.[1] ?? ''
    const [row] = await d1Rows<{ inputs_json: string }>(
      ROOT,
      stack.persistTo,
      `select inputs_json from deployments where id = '${deployment.id}'`,
    )
    const sealed =
      (JSON.parse(row?.inputs_json ?? '{}') as { gameSecretsEnc?: string }).gameSecretsEnc ?? ''
    const gameSecrets = JSON.parse(
      await decryptSecret(encKey, sealed, SECRET_CONTEXTS.gameSecrets, deployment.id),
    ) as Record<string, string>
    const runnerKey = (
      JSON.parse(readFileSync(join(state, 'runner.json'), 'utf8')) as { key: string }
    ).key
    const secrets: Record<string, string> = {
      'Proxmox token secret': E2E_PROXMOX.tokenSecret,
      'admin password': ADMIN_PASSWORD,
      APP_ENC_KEY: encKey,
      'runner key': runnerKey,
      ...Object.fromEntries(Object.entries(gameSecrets).map(([k, v]) => [`game secret ${k}`, v])),
    }
    expect(Object.keys(gameSecrets)).toContain('rconPassword')
    for (const [what, value] of Object.entries(secrets))
      expect(value.length, what).toBeGreaterThan(8)

    // Everything a person or a log collector could see.
    const logText = dash.lines.map((l) => l.text).join('\n')
    // The executors did try: their leak lines are there, with the secrets taken out.
    expect(logText).toContain('rcon_password=')
    expect(logText).toContain('PVEAPIToken=')
    const surfaces: Record<string, string> = {
      'dashboard log lines': logText,
      'runner output': runner.stdout() + runner.stderr(),
      'worker output': stack.output(),
    }
    for (const path of [
      '/api/deployments',
      `/api/deployments/${deployment.id}`,
      `/api/deployments/${deployment.id}/logs?after=0&limit=10000`,
      '/api/settings/proxmox',
      '/api/runners',
      '/api/audit?limit=200',
      '/api/games',
      '/api/auth/me',
    ]) {
      surfaces[`GET ${path}`] = JSON.stringify((await api.request('GET', path)).body)
    }
    const found: string[] = []
    for (const [surface, text] of Object.entries(surfaces)) {
      for (const [what, value] of Object.entries(secrets)) {
        if (text.includes(value)) found.push(`${what} in ${surface}`)
      }
    }
    expect(found).toEqual([])
  })
})
