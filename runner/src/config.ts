import { parseArgs } from 'node:util'
import { z } from 'zod'
import { HEARTBEAT_INTERVAL_MS } from '../../core/protocol'
import { FakeOptions } from './executors/fake-options'

/**
 * The runner's configuration: flags and `RUNNER_*` environment variables through one zod schema
 * (STYLE.md rule 10). `loadConfig` is pure: it reads only what it is given, so tests call it with
 * plain objects and the CLI calls it with `process.env` and `process.argv`.
 */

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/

/** The dashboard's base URL: https anywhere, http only to this machine (dev and tests). */
export const ServerUrl = z
  .string()
  .trim()
  .url('must be a URL such as https://games.example.com')
  .refine((u) => {
    const url = new URL(u)
    return (
      url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOST.test(url.hostname))
    )
  }, 'must start with https:// (http:// only for localhost)')
  .transform((u) => u.replace(/\/+$/, ''))
export type ServerUrl = z.infer<typeof ServerUrl>

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max)

/** Settings shared by every command. */
const Common = {
  stateDir: z.string().min(1, 'is required (or set STATE_DIRECTORY or HOME)'),
  keyFile: z.string().min(1),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  name: z.string().trim().min(1).max(63),
}

export const RegisterConfig = z.object({
  command: z.literal('register'),
  ...Common,
  server: ServerUrl,
  code: z.string().trim().min(1, 'is required: create a code in the dashboard under Runners'),
})
export type RegisterConfig = z.infer<typeof RegisterConfig>

export const RunConfig = z
  .object({
    command: z.literal('run'),
    ...Common,
    /** Overrides the server saved by `register`, e.g. for containers configured by env only. */
    server: ServerUrl.optional(),
    /** The runner key, when not read from `keyFile` (12-factor: config in the environment). */
    key: z.string().min(16).optional(),
    maxJobs: int(1, 64).default(2),
    heartbeatIntervalMs: int(50, 300_000).default(HEARTBEAT_INTERVAL_MS),
    backoffBaseMs: int(10, 60_000).default(1_000),
    backoffMaxMs: int(10, 600_000).default(30_000),
    drainTimeoutMs: int(0, 3_600_000).default(90_000),
    logFlushMs: int(1, 10_000).default(50),
    logBatchLines: int(1, 5_000).default(2_000),
    executor: z.enum(['real', 'fake']).default('real'),
    /** Real executors: run the game playbook with Ansible, or only simulate it (demo, bench). */
    provisioner: z.enum(['ansible', 'simulated']).default('ansible'),
    /** Simulated provisioner: how long each of its playbook tasks takes (demo, fault tests). */
    simulatedTaskMs: int(0, 600_000).default(0),
    /** Folder with provision_<game>.yml and its roles; beside the bundle by default. */
    ansibleDir: z.string().min(1).optional(),
    /** This host's address as the VMs see it: admin ports (RCON) are opened to it alone. */
    address: z
      .string()
      .trim()
      .regex(/^\d{1,3}(\.\d{1,3}){3}$/, 'must be an IPv4 address')
      .optional(),
    /** Mirrors for air-gapped sites and tests; artifacts keep their checksums. */
    minecraftManifestUrl: z.string().url().optional(),
    paperApiUrl: z.string().url().optional(),
    artifactUrl: z.string().url().optional(),
    fake: FakeOptions,
  })
  .refine((c) => c.backoffMaxMs >= c.backoffBaseMs, {
    message: 'must not be below RUNNER_BACKOFF_BASE_MS',
    path: ['backoffMaxMs'],
  })
export type RunConfig = z.infer<typeof RunConfig>

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
  ansibleDir: { env: 'RUNNER_ANSIBLE_DIR', flag: 'ansible-dir' },
  address: { env: 'RUNNER_ADDRESS', flag: 'address' },
  minecraftManifestUrl: { env: 'RUNNER_MINECRAFT_MANIFEST_URL' },
  paperApiUrl: { env: 'RUNNER_PAPER_API_URL' },
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

function describe(path: readonly PropertyKey[]): string {
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

  const schema = command === 'register' ? RegisterConfig : RunConfig
  const result = schema.safeParse(raw)
  if (!result.success) {
    return {
      ok: false,
      errors: result.error.issues.map((i) => `${describe(i.path)}: ${i.message}`),
    }
  }
  return { ok: true, config: result.data }
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
