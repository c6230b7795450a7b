import { parseArgs } from 'node:util'
import type { StepName } from '../../../core/protocol'
import {
  DEPLOY_STEPS,
  DESTROY_STEPS,
  HEARTBEAT_INTERVAL_MS,
} from '../../../core/protocol/constants'
import type { FakeOptions } from '../executors/fake-options'
import { LOG_LEVELS } from '../logger'
import type { RegisterConfig, RunConfig } from './config-schema'
import { LOOPBACK_HOST } from './rules'

export type { RegisterConfig, RunConfig } from './config-schema'

/**
 * The runner's configuration: flags and `RUNNER_*` environment variables. `loadConfig` is pure: it
 * reads only what it is given, so tests call it with plain objects and the CLI calls it with
 * `process.env` and `process.argv`.
 *
 * The rules are the zod schemas of config-schema.ts (the types come from there), checked here by
 * hand: zod would be ~15 MB of an idle runner's memory. test/runner/config.test.ts
 * runs both over the same inputs and fails on any difference, so they cannot drift.
 */

export type Config = RegisterConfig | RunConfig | { command: 'help' }

/** Where each setting comes from, for reading and for error messages. */
const SOURCES: Record<string, { env: string; flag?: string }> = {
  stateDir: { env: 'RUNNER_STATE_DIR', flag: 'state-dir' },
  keyFile: { env: 'RUNNER_KEY_FILE', flag: 'key-file' },
  logLevel: { env: 'RUNNER_LOG_LEVEL', flag: 'log-level' },
  name: { env: 'RUNNER_NAME', flag: 'name' },
  server: { env: 'RUNNER_SERVER', flag: 'server' },
  code: { env: 'RUNNER_CODE', flag: 'code' },
  key: { env: 'RUNNER_KEY' },
  maxJobs: { env: 'RUNNER_MAX_JOBS', flag: 'max-jobs' },
  heartbeatIntervalMs: { env: 'RUNNER_HEARTBEAT_INTERVAL_MS' },
  backoffBaseMs: { env: 'RUNNER_BACKOFF_BASE_MS' },
  backoffMaxMs: { env: 'RUNNER_BACKOFF_MAX_MS' },
  drainTimeoutMs: { env: 'RUNNER_DRAIN_TIMEOUT_MS', flag: 'drain-timeout-ms' },
  logFlushMs: { env: 'RUNNER_LOG_FLUSH_MS' },
  logBatchLines: { env: 'RUNNER_LOG_BATCH_LINES' },
  executor: { env: 'RUNNER_EXECUTOR', flag: 'executor' },
  provisioner: { env: 'RUNNER_PROVISIONER', flag: 'provisioner' },
  simulatedTaskMs: { env: 'RUNNER_SIMULATED_TASK_MS' },
  verifyTimeoutMs: { env: 'RUNNER_VERIFY_TIMEOUT_MS' },
  versionListTtlMs: { env: 'RUNNER_VERSION_LIST_TTL_MS' },
  ansibleDir: { env: 'RUNNER_ANSIBLE_DIR', flag: 'ansible-dir' },
  address: { env: 'RUNNER_ADDRESS', flag: 'address' },
  minecraftManifestUrl: { env: 'RUNNER_MINECRAFT_MANIFEST_URL' },
  paperApiUrl: { env: 'RUNNER_PAPER_API_URL' },
  mojangProfilesUrl: { env: 'RUNNER_MOJANG_PROFILES_URL' },
  artifactUrl: { env: 'RUNNER_ARTIFACT_URL' },
}

/** Fake executor options, all from `RUNNER_FAKE_*`. */
const FAKE_SOURCES: Record<keyof FakeOptions, string> = {
  stepDelayMs: 'RUNNER_FAKE_STEP_DELAY_MS',
  stepDelays: 'RUNNER_FAKE_STEP_DELAYS',
  linesPerStep: 'RUNNER_FAKE_LINES_PER_STEP',
  failStep: 'RUNNER_FAKE_FAIL_STEP',
  failMessage: 'RUNNER_FAKE_FAIL_MESSAGE',
  vmStateFile: 'RUNNER_FAKE_VM_STATE_FILE',
  burstLines: 'RUNNER_FAKE_BURST_LINES',
  burstStep: 'RUNNER_FAKE_BURST_STEP',
  burstRate: 'RUNNER_FAKE_BURST_RATE',
  leakSecrets: 'RUNNER_FAKE_LEAK_SECRETS',
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] }

type Env = Readonly<Record<string, string | undefined>>

/** The variable (and flag) a config path is read from, as error messages name it. */
export function settingName(path: readonly PropertyKey[]): string {
  const [head, sub] = path
  if (head === 'fake' && typeof sub === 'string' && sub in FAKE_SOURCES) {
    return FAKE_SOURCES[sub as keyof FakeOptions]
  }
  const source = typeof head === 'string' ? SOURCES[head] : undefined
  if (!source) return path.join('.') || 'configuration'
  return source.flag ? `${source.env} (--${source.flag})` : source.env
}

/**
 * Reads the configuration from environment variables and command-line arguments (flags win).
 * Pure: no file or network access. Errors name the variable and the flag to fix.
 */
export function loadConfig(env: Env, argv: readonly string[]): ConfigResult {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof FLAG_OPTIONS; allowPositionals: true }>>
  try {
    parsed = parseArgs({
      args: [...argv],
      options: FLAG_OPTIONS,
      allowPositionals: true,
      strict: true,
    })
  } catch (err) {
    return {
      ok: false,
      errors: [`${err instanceof Error ? err.message : String(err)} (see --help)`],
    }
  }
  const { values, positionals } = parsed
  const command = positionals[0]
  if (values.help || command === undefined || command === 'help')
    return { ok: true, config: { command: 'help' } }
  if (command !== 'register' && command !== 'run') {
    return { ok: false, errors: [`unknown command "${command}": use register or run (see --help)`] }
  }
  if (positionals.length > 1) {
    return { ok: false, errors: [`unexpected argument "${positionals[1]}" (see --help)`] }
  }

  const read = (key: string): string | undefined => {
    const source = SOURCES[key]
    if (!source) return undefined
    const flag = source.flag ? (values as Record<string, unknown>)[source.flag] : undefined
    if (typeof flag === 'string') return flag
    const fromEnv = env[source.env]
    return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv
  }
  // systemd's StateDirectory= sets STATE_DIRECTORY; otherwise a dot-folder in the home.
  const stateDir =
    read('stateDir') ?? env.STATE_DIRECTORY ?? (env.HOME ? `${env.HOME}/.pgd-runner` : '')
  const raw: Record<string, unknown> = { command, stateDir }
  for (const key of Object.keys(SOURCES)) if (key !== 'stateDir') raw[key] = read(key)
  raw.keyFile ??= stateDir ? `${stateDir}/runner.json` : ''
  raw.name ??= env.HOSTNAME || 'runner'
  const fake: Record<string, unknown> = {}
  for (const [key, name] of Object.entries(FAKE_SOURCES)) fake[key] = env[name] || undefined
  fake.vmStateFile ??= stateDir ? `${stateDir}/fake-vms.json` : undefined
  raw.fake = fake

  return checkConfig(raw)
}

/**
 * The raw settings (strings or undefined, `fake` a nested object of them) as a typed config, or
 * every error, each naming its variable. The rules of `RegisterConfig` / `RunConfig`.
 */
export function checkConfig(raw: Readonly<Record<string, unknown>>): ConfigResult {
  const errors: string[] = []
  const check = new Checker(raw, (path, message) => errors.push(`${settingName(path)}: ${message}`))
  const common = {
    stateDir: check.string('stateDir', 1, 'is required (or set STATE_DIRECTORY or HOME)'),
    keyFile: check.string('keyFile', 1),
    logLevel: check.oneOf('logLevel', LOG_LEVELS, 'info'),
    name: check.name('name'),
  }
  if (raw.command === 'register') {
    const config: RegisterConfig = {
      command: 'register',
      ...common,
      server: check.serverUrl('server') ?? '',
      code: check.trimmed(
        'code',
        'is required: create a code in the dashboard under Runners',
      ) as string,
    }
    return errors.length ? { ok: false, errors } : { ok: true, config }
  }
  const config: RunConfig = {
    command: 'run',
    ...common,
    server: check.optional('server', () => check.serverUrl('server')),
    key: check.optional('key', () => check.string('key', 16)),
    maxJobs: check.int('maxJobs', 1, 64, 2),
    heartbeatIntervalMs: check.int('heartbeatIntervalMs', 50, 300_000, HEARTBEAT_INTERVAL_MS),
    backoffBaseMs: check.int('backoffBaseMs', 10, 60_000, 1_000),
    backoffMaxMs: check.int('backoffMaxMs', 10, 600_000, 30_000),
    drainTimeoutMs: check.int('drainTimeoutMs', 0, 3_600_000, 90_000),
    logFlushMs: check.int('logFlushMs', 1, 10_000, 50),
    logBatchLines: check.int('logBatchLines', 1, 5_000, 2_000),
    executor: check.oneOf('executor', ['real', 'fake'] as const, 'real'),
    provisioner: check.oneOf('provisioner', ['ansible', 'simulated'] as const, 'ansible'),
    simulatedTaskMs: check.int('simulatedTaskMs', 0, 600_000, 0),
    verifyTimeoutMs: check.int('verifyTimeoutMs', 1_000, 3_600_000, 300_000),
    versionListTtlMs: check.int('versionListTtlMs', 0, 86_400_000, 600_000),
    ansibleDir: check.optional('ansibleDir', () => check.string('ansibleDir', 1)),
    address: check.optional('address', () => check.ipv4('address')),
    minecraftManifestUrl: check.optional('minecraftManifestUrl', () =>
      check.url('minecraftManifestUrl'),
    ),
    paperApiUrl: check.optional('paperApiUrl', () => check.url('paperApiUrl')),
    mojangProfilesUrl: check.optional('mojangProfilesUrl', () => check.url('mojangProfilesUrl')),
    artifactUrl: check.optional('artifactUrl', () => check.url('artifactUrl')),
    fake: checkFake(raw.fake, (path, message) =>
      errors.push(`${settingName(['fake', ...path])}: ${message}`),
    ),
  }
  if (errors.length) return { ok: false, errors }
  if (config.backoffMaxMs < config.backoffBaseMs) {
    return {
      ok: false,
      errors: [`${settingName(['backoffMaxMs'])}: must not be below RUNNER_BACKOFF_BASE_MS`],
    }
  }
  return { ok: true, config }
}

const STEP_NAMES: readonly StepName[] = [...DEPLOY_STEPS, ...DESTROY_STEPS]
const FLAGS = ['1', '0', 'true', 'false', 'yes', 'no'] as const

function checkFake(raw: unknown, fail: (path: string[], message: string) => void): FakeOptions {
  const fields = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {}
  const check = new Checker(fields, fail)
  const failStep = check.optional('failStep', () => check.oneOf('failStep', STEP_NAMES))
  return {
    stepDelayMs: check.int('stepDelayMs', 0, 3_600_000, 20),
    stepDelays: check.stepDelays('stepDelays'),
    linesPerStep: check.int('linesPerStep', 0, 1_000_000, 3),
    ...(failStep === undefined ? {} : { failStep }),
    failMessage: check.string('failMessage', 0, undefined, 'fake failure'),
    vmStateFile: check.string('vmStateFile', 1, 'is required (or set RUNNER_STATE_DIR)'),
    burstLines: check.int('burstLines', 0, 10_000_000, 0),
    burstStep: check.oneOf('burstStep', STEP_NAMES, 'provision'),
    burstRate: check.int('burstRate', 0, 10_000_000, 0),
    leakSecrets: ['1', 'true', 'yes'].includes(check.oneOf('leakSecrets', FLAGS, '0')),
  }
}

/**
 * Reads one field of a raw config at a time, with zod's semantics where they matter (coercion,
 * trimming, defaults on undefined); a bad value is reported and a placeholder returned, so that
 * every error is reported at once.
 */
class Checker {
  constructor(
    private readonly raw: Readonly<Record<string, unknown>>,
    private readonly fail: (path: string[], message: string) => void,
  ) {}

  /** `undefined` when absent, else what `read` makes of it. */
  optional<T>(key: string, read: () => T | undefined): T | undefined {
    return this.raw[key] === undefined ? undefined : read()
  }

  string(key: string, min: number, message?: string, fallback?: string): string {
    const value = this.raw[key]
    if (value === undefined && fallback !== undefined) return fallback
    if (typeof value !== 'string') {
      this.fail([key], message ?? 'is required')
      return ''
    }
    if (value.length < min) this.fail([key], message ?? `must be at least ${min} characters`)
    return value
  }

  /** Trimmed, at least one character. */
  trimmed(key: string, message = 'must not be empty'): string | undefined {
    const value = this.raw[key]
    const text = typeof value === 'string' ? value.trim() : ''
    if (!text) this.fail([key], message)
    return text
  }

  name(key: string): string {
    const text = this.trimmed(key) ?? ''
    if (text.length > 63) this.fail([key], 'must be at most 63 characters')
    return text
  }

  int(key: string, min: number, max: number, fallback: number): number {
    const value = this.raw[key]
    if (value === undefined) return fallback
    const n = Number(value)
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      this.fail([key], `must be a whole number from ${min} to ${max}`)
      return fallback
    }
    return n
  }

  oneOf<T extends string>(key: string, values: readonly T[], fallback?: T): T {
    const value = this.raw[key]
    if (value === undefined && fallback !== undefined) return fallback
    if (typeof value === 'string' && (values as readonly string[]).includes(value))
      return value as T
    this.fail([key], `must be one of ${values.join(', ')}`)
    return values[0] as T
  }

  ipv4(key: string): string {
    const text = typeof this.raw[key] === 'string' ? (this.raw[key] as string).trim() : ''
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) this.fail([key], 'must be an IPv4 address')
    return text
  }

  /** zod's `z.string().url()`: trimmed, parseable by URL, tabs and newlines removed. */
  url(key: string, message = 'must be a URL'): string | undefined {
    const value = this.raw[key]
    const text = typeof value === 'string' ? value.trim() : ''
    if (typeof value !== 'string' || !URL.canParse(text)) {
      this.fail([key], message)
      return undefined
    }
    return text.replace(/[\t\n\r]/g, '')
  }

  /** The dashboard's base URL: https anywhere, http only to this machine (dev and tests). */
  serverUrl(key: string): string | undefined {
    const url = this.url(key, 'must be a URL such as https://games.example.com')
    if (url === undefined) return undefined
    const { protocol, hostname } = new URL(url)
    if (!(protocol === 'https:' || (protocol === 'http:' && LOOPBACK_HOST.test(hostname)))) {
      this.fail([key], 'must start with https:// (http:// only for localhost)')
      return undefined
    }
    return url.replace(/\/+$/, '')
  }

  /** `clone=2000,provision=500` → { clone: 2000, provision: 500 }. */
  stepDelays(key: string): Partial<Record<StepName, number>> {
    const value = this.raw[key]
    const out: Partial<Record<StepName, number>> = {}
    if (value === undefined) return out
    if (typeof value !== 'string') {
      this.fail([key], 'must be step=milliseconds,…')
      return out
    }
    for (const part of value.split(',').filter(Boolean)) {
      const [name = '', ms = ''] = part.split('=')
      const step = name.trim()
      const delay = Number(ms)
      if (
        !(STEP_NAMES as readonly string[]).includes(step) ||
        !Number.isInteger(delay) ||
        delay < 0
      ) {
        this.fail([key], `"${part}" is not step=milliseconds`)
        return {}
      }
      out[step as StepName] = delay
    }
    return out
  }
}

const FLAG_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  server: { type: 'string' },
  code: { type: 'string' },
  name: { type: 'string' },
  'state-dir': { type: 'string' },
  'key-file': { type: 'string' },
  'log-level': { type: 'string' },
  'max-jobs': { type: 'string' },
  'drain-timeout-ms': { type: 'string' },
  executor: { type: 'string' },
  provisioner: { type: 'string' },
  'ansible-dir': { type: 'string' },
  address: { type: 'string' },
} as const

export const HELP = `pgd-runner: the on-prem agent of Proxmox Game Deployer.

It dials out to the dashboard over a websocket (no inbound port, no VPN), takes deployment jobs,
calls your Proxmox API, waits for SSH, runs Ansible and streams every log line back.

Usage:
  pgd-runner register --server URL --code CODE [--name NAME]
      Swap a one-time code (dashboard → Runners → Add runner) for this runner's key.
      The key and the server URL are saved to the key file (mode 0600).
  pgd-runner run
      Connect and take jobs until stopped. SIGTERM drains: no new jobs, running steps
      reach their checkpoint, exit within the drain timeout. A second SIGTERM exits at once.

Options (each also an environment variable; the flag wins):
  --server URL            RUNNER_SERVER         dashboard URL (https://, or http:// for localhost)
  --code CODE             RUNNER_CODE           one-time registration code (register only)
  --name NAME             RUNNER_NAME           name shown in the dashboard (default: host name)
  --state-dir DIR         RUNNER_STATE_DIR      keys, SSH key pair, log spools
                                                (default: $STATE_DIRECTORY, else ~/.pgd-runner)
  --key-file FILE         RUNNER_KEY_FILE       default: <state-dir>/runner.json
  --log-level LEVEL       RUNNER_LOG_LEVEL      error | warn | info (default) | debug
  --max-jobs N            RUNNER_MAX_JOBS       jobs run in parallel (default 2)
  --drain-timeout-ms MS   RUNNER_DRAIN_TIMEOUT_MS  SIGTERM deadline (default 90000)
  --executor real|fake    RUNNER_EXECUTOR       fake = simulated steps, for tests and demos
  --provisioner ansible|simulated
                          RUNNER_PROVISIONER    simulated = no Ansible (demo against the simulator)
                          RUNNER_SIMULATED_TASK_MS  each simulated playbook task's duration (0)
                          RUNNER_VERIFY_TIMEOUT_MS  how long verify waits for the game (300000)
  --ansible-dir DIR       RUNNER_ANSIBLE_DIR    playbooks and roles (default: beside the bundle)
  --address IP            RUNNER_ADDRESS        this host as the VMs see it (RCON is opened to it)
                          RUNNER_MINECRAFT_MANIFEST_URL, RUNNER_PAPER_API_URL, RUNNER_ARTIFACT_URL:
                          mirrors for air-gapped sites (checksums still enforced)
                          RUNNER_KEY            runner key, instead of the key file
                          RUNNER_HEARTBEAT_INTERVAL_MS, RUNNER_BACKOFF_BASE_MS,
                          RUNNER_BACKOFF_MAX_MS (default 30000), RUNNER_LOG_FLUSH_MS (50),
                          RUNNER_LOG_BATCH_LINES (2000)
  Fake executor: RUNNER_FAKE_STEP_DELAY_MS, RUNNER_FAKE_STEP_DELAYS (clone=2000,provision=500),
                 RUNNER_FAKE_LINES_PER_STEP, RUNNER_FAKE_FAIL_STEP, RUNNER_FAKE_FAIL_MESSAGE,
                 RUNNER_FAKE_VM_STATE_FILE, RUNNER_FAKE_BURST_LINES, RUNNER_FAKE_BURST_STEP,
                 RUNNER_FAKE_BURST_RATE,
                 RUNNER_FAKE_LEAK_SECRETS

Exit codes: 0 stopped, 1 error, 2 key rejected or revoked (register again),
            3 replaced by another process of this runner, 78 configuration error.
`
