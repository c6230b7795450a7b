import { describe, expect, it } from 'vitest'
import { checkConfig, settingName } from '../../runner/src/setup/config'
import type { ConfigResult } from '../../runner/src/setup/config'
import { RegisterConfig, RunConfig } from '../../runner/src/setup/config-schema'
import { checkCredentials } from '../../runner/src/setup/credentials'
import { Credentials } from '../../runner/src/setup/config-schema'

/**
 * `checkConfig` checks the runner's settings by hand so an idle runner does not load zod;
 * the zod schemas stay the reference. These tests run both over the same raw settings and fail
 * on any difference: the accepted config value by value, or which variables are named as wrong.
 */

/** The variables an error list names ("RUNNER_MAX_JOBS (--max-jobs): …" → that prefix). */
function named(result: ConfigResult): string[] {
  return result.ok ? [] : [...new Set(result.errors.map((e) => e.split(': ', 1)[0] ?? e))].sort()
}

function viaZod(raw: Record<string, unknown>): ConfigResult {
  const schema = raw.command === 'register' ? RegisterConfig : RunConfig
  const parsed = schema.safeParse(raw)
  if (parsed.success) return { ok: true, config: parsed.data }
  // One deliberate difference: zod also compares the backoff bounds when other settings are
  // already wrong (its object refinement runs past "too big" issues); checkConfig reports that
  // only for an otherwise valid config, so the admin fixes the real mistake first.
  const issues = parsed.error.issues
  const rest = issues.filter((i) => i.message !== BACKOFF_ORDER)
  return {
    ok: false,
    errors: (rest.length ? rest : issues).map((i) => `${settingName(i.path)}: ${i.message}`),
  }
}

const BACKOFF_ORDER = 'must not be below RUNNER_BACKOFF_BASE_MS'
const FAKE = { vmStateFile: '/tmp/state/fake-vms.json' }
const RUN: Record<string, unknown> = {
  command: 'run',
  stateDir: '/tmp/state',
  keyFile: '/tmp/state/runner.json',
  name: 'runner-1',
  fake: FAKE,
}
const REGISTER: Record<string, unknown> = {
  command: 'register',
  stateDir: '/tmp/state',
  keyFile: '/tmp/state/runner.json',
  name: 'runner-1',
  server: 'https://games.example.com',
  code: 'ABCD-1234',
}

const INTS = ['0', '1', '2', '9', '10', '49', '50', '64', '65', '1e3', '0x10', ' 12 ', '-1']
const MORE_INTS = ['1.5', 'abc', 'Infinity', '9007199254740993', '3600000', '3600001']
const URLS = [
  'https://games.example.com',
  ' https://games.example.com/// ',
  'https://exa\tmple.com/',
  'http://127.0.0.1:8787',
  'http://localhost:8787/',
  'http://[::1]:8787',
  'http://games.example.com',
  'ftp://games.example.com',
  'games.example.com',
  'not a url',
  'https:/games.example.com',
]
const STEPS = ['clone', 'provision', 'delete_vm', 'nope', ' clone', '']

/** Candidate values per field: valid, at the bounds, just past them, and malformed. */
const VALUES: Record<string, readonly (string | undefined)[]> = {
  stateDir: [undefined, '', '/var/lib/pgd-runner'],
  keyFile: [undefined, '', '/k.json'],
  logLevel: [undefined, 'debug', 'error', 'DEBUG', 'verbose'],
  name: [undefined, '', '   ', ' spaced ', 'x'.repeat(63), 'x'.repeat(64), ` ${'y'.repeat(63)} `],
  server: [undefined, ...URLS],
  code: [undefined, '', '  ', ' AB-12 '],
  key: [undefined, 'short', 'k'.repeat(16), ' '.repeat(16)],
  maxJobs: [undefined, ...INTS, ...MORE_INTS],
  heartbeatIntervalMs: [undefined, '49', '50', '300000', '300001', 'x'],
  backoffBaseMs: [undefined, '9', '10', '60000', '60001', '5000', '40000'],
  backoffMaxMs: [undefined, '9', '10', '600000', '600001', '500', '35000'],
  drainTimeoutMs: [undefined, ...INTS, ...MORE_INTS],
  logFlushMs: [undefined, '0', '1', '10000', '10001'],
  logBatchLines: [undefined, '0', '1', '5000', '5001'],
  executor: [undefined, 'fake', 'real', 'Fake', ''],
  provisioner: [undefined, 'ansible', 'simulated', 'puppet'],
  simulatedTaskMs: [undefined, '0', '600000', '600001', '-5'],
  ansibleDir: [undefined, '', '/opt/ansible'],
  address: [undefined, '10.0.2.2', ' 10.0.2.2 ', '10.0.2', 'host.lan', '1000.1.1.1'],
  minecraftManifestUrl: [undefined, ...URLS],
  paperApiUrl: [undefined, 'http://127.0.0.1:1/x', 'nope'],
  artifactUrl: [undefined, ' https://mirror.lan/a ', 'mirror.lan'],
}
const FAKE_VALUES: Record<string, readonly (string | undefined)[]> = {
  stepDelayMs: [undefined, '0', '3600000', '3600001', 'x'],
  stepDelays: [
    undefined,
    '',
    'clone=2000,provision=500',
    'clone=soon',
    'nope=5',
    ' clone = 5',
    ',',
  ],
  linesPerStep: [undefined, '0', '1000000', '1000001'],
  failStep: [undefined, ...STEPS],
  failMessage: [undefined, '', 'boom'],
  vmStateFile: [undefined, '', '/x.json'],
  burstLines: [undefined, '0', '10000000', '10000001', '-1'],
  burstStep: [undefined, ...STEPS],
  burstRate: [undefined, '0', '10000000', '10000001'],
  leakSecrets: [undefined, '1', '0', 'true', 'false', 'yes', 'no', 'on', 'TRUE'],
}

function expectSame(raw: Record<string, unknown>): void {
  const hand = checkConfig(raw)
  const zod = viaZod(raw)
  const what = JSON.stringify(raw)
  expect(hand.ok, `ok for ${what}: ${JSON.stringify(hand)}`).toBe(zod.ok)
  if (hand.ok && zod.ok) expect(hand.config, what).toEqual(zod.config)
  else expect(named(hand), what).toEqual(named(zod))
}

/** A small deterministic PRNG, so a failing combination is the same on every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0
    return s / 2 ** 32
  }
}

describe('checkConfig against the zod schemas', () => {
  it('agrees on every single-setting variation of a run config', () => {
    for (const [key, values] of Object.entries(VALUES)) {
      if (key === 'code') continue
      for (const value of values) expectSame({ ...RUN, [key]: value })
    }
    for (const [key, values] of Object.entries(FAKE_VALUES)) {
      for (const value of values) expectSame({ ...RUN, fake: { ...FAKE, [key]: value } })
    }
  })

  it('agrees on every single-setting variation of a register config', () => {
    for (const key of ['stateDir', 'keyFile', 'logLevel', 'name', 'server', 'code']) {
      for (const value of VALUES[key] ?? []) expectSame({ ...REGISTER, [key]: value })
    }
  })

  it('agrees on 3,000 random combinations of valid and invalid settings', () => {
    const random = prng(7)
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T
    for (let i = 0; i < 3_000; i++) {
      const raw: Record<string, unknown> = { ...(random() < 0.2 ? REGISTER : RUN) }
      const fake: Record<string, unknown> = { ...FAKE }
      for (const [key, values] of Object.entries(VALUES)) {
        if (random() < 0.25) raw[key] = pick(values)
      }
      for (const [key, values] of Object.entries(FAKE_VALUES)) {
        if (random() < 0.2) fake[key] = pick(values)
      }
      if (raw.command === 'run') raw.fake = fake
      expectSame(raw)
    }
  })

  it('names a backoff maximum below its base, as the schema does', () => {
    const r = checkConfig({ ...RUN, backoffBaseMs: '5000', backoffMaxMs: '500' })
    expect(r).toEqual({
      ok: false,
      errors: ['RUNNER_BACKOFF_MAX_MS: must not be below RUNNER_BACKOFF_BASE_MS'],
    })
  })
})

describe('checkCredentials against the Credentials schema', () => {
  it('agrees on complete, incomplete and malformed key files', () => {
    const good = { server: 'https://games.example.com', runnerId: 'r1', key: 'k'.repeat(16) }
    const files: unknown[] = [
      good,
      { ...good, extra: true },
      { ...good, server: ' https://games.example.com\n' },
      { ...good, server: 'not a url' },
      { ...good, server: 42 },
      { ...good, runnerId: '' },
      { ...good, key: 'k'.repeat(15) },
      { server: good.server, runnerId: 'r1' },
      null,
      [],
      'text',
    ]
    for (const file of files) {
      const zod = Credentials.safeParse(file)
      expect(checkCredentials(file), JSON.stringify(file)).toEqual(zod.success ? zod.data : null)
    }
  })
})
