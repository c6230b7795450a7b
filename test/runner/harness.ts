import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildRunner } from '../../scripts/build-runner.mjs'
import { JobAssignment } from '../../core/protocol'

/**
 * A job's spool as a killed runner left it: the lines it had numbered and written to disk. A
 * line torn by the kill itself was never complete, and is skipped.
 */
export function spooledLines(stateDir: string, jobId: string): { seq: number; text: string }[] {
  const path = join(stateDir, 'spool', `${jobId}.jsonl`)
  if (!existsSync(path)) return []
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as { seq: number; text: string }]
      } catch {
        return []
      }
    })
}

/** Polls `check` every 10 ms until it returns a truthy value; fails with `message` at `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | undefined | null | false,
  message: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value) return value
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${message}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** A temp folder removed by `cleanup()`. */
export function tempDir(prefix = 'pgd-runner-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

let bundle: Promise<string> | null = null

/** Builds the real runner bundle once per test file, into a temp folder. */
export function runnerBundle(): Promise<string> {
  bundle ??= buildRunner({ outfile: join(tempDir('pgd-runner-bundle-'), 'pgd-runner.mjs') })
  return bundle
}

/** A runner process and what it printed. */
export interface RunnerProcess {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>
  /** Fails with `message` if the output does not match within `timeoutMs`. */
  waitForOutput(re: RegExp, message: string, timeoutMs?: number): Promise<RegExpMatchArray>
}

const running = new Set<ChildProcess>()

/** The env every test runner gets: loopback server, fast timers, fake executors. */
export function runnerEnv(serverUrl: string, stateDir: string, extra: Record<string, string> = {}) {
  return {
    PATH: process.env.PATH ?? '',
    HOME: stateDir,
    RUNNER_SERVER: serverUrl,
    RUNNER_KEY: 'test-runner-key-0123456789abcdef',
    RUNNER_STATE_DIR: stateDir,
    RUNNER_EXECUTOR: 'fake',
    RUNNER_LOG_LEVEL: 'debug',
    RUNNER_HEARTBEAT_INTERVAL_MS: '1000',
    RUNNER_BACKOFF_BASE_MS: '20',
    RUNNER_BACKOFF_MAX_MS: '200',
    RUNNER_FAKE_STEP_DELAY_MS: '5',
    RUNNER_FAKE_LINES_PER_STEP: '2',
    ...extra,
  }
}

/**
 * The node flags of the shipped systemd unit's `ExecStart` (between `node` and the bundle), so
 * that tests and the bench run the runner the way users do.
 */
export function runnerNodeFlags(): string[] {
  const unit = readFileSync(
    new URL('../../runner/systemd/pgd-runner.service', import.meta.url),
    'utf8',
  )
  const exec = /^ExecStart=\S*\/node((?: --?[\w-]+(?:=\S+)?)*) \S*pgd-runner\.mjs run$/m.exec(unit)
  if (!exec)
    throw new Error('pgd-runner.service: no ExecStart=/usr/bin/node [flags] …/pgd-runner.mjs run')
  return (exec[1] ?? '').split(' ').filter(Boolean)
}

/** Spawns the bundled runner with exactly these args and env (nothing inherited). */
export async function startRunner(
  args: string[],
  env: Record<string, string>,
): Promise<RunnerProcess> {
  const path = await runnerBundle()
  const child = spawn(process.execPath, [...runnerNodeFlags(), path, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(child)
  let out = ''
  let err = ''
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => {
      running.delete(child)
      resolve(code ?? signal ?? 'unknown')
    }),
  )
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForOutput: (re, message, timeoutMs = 10_000) =>
      waitFor(
        () => re.exec(out) ?? re.exec(err),
        `${message}\n--- stdout so far:\n${out.slice(-3000)}\n--- stderr:\n${err.slice(-2000)}`,
        timeoutMs,
      ),
  }
}

/** Waits for the process to exit, failing with its output after `timeoutMs`. */
export async function exitOf(
  proc: RunnerProcess,
  message: string,
  timeoutMs = 10_000,
): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for: ${message}\n--- stdout:\n${proc.stdout().slice(-3000)}\n--- stderr:\n${proc.stderr().slice(-2000)}`,
          ),
        ),
      timeoutMs,
    )
  })
  try {
    return await Promise.race([proc.exited, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** SIGKILLs every runner still alive; call from afterEach. */
export async function killAllRunners(): Promise<void> {
  const waits = [...running].map(
    (child) =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve())
        child.kill('SIGKILL')
      }),
  )
  await Promise.all(waits)
}

/** Removes temp folders; call from afterEach. */
export function removeDirs(dirs: string[]): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
}

export const TOKEN_SECRET = '5f0c8a5e-1b2c-4d3e-9f8a-7b6c5d4e3f2a'
export const RCON_SECRET = 'rcon-Hunter2-correct-horse'

export const GAME_SECRET = 'game-secret-Zq9-rcon-7c1e'

/** A deploy job with loopback-only addresses; every address is data, none is contacted. */
export function makeJob(jobId: string, overrides: Record<string, unknown> = {}): JobAssignment {
  return JobAssignment.parse({
    jobId,
    deploymentId: `dep-${jobId}`,
    kind: 'deploy',
    attempt: 1,
    leaseExpiresAt: Date.now() + 60_000,
    spec: {
      deploymentId: `dep-${jobId}`,
      name: `mc-${jobId}`,
      game: 'minecraft',
      gameConfig: {},
      cores: 2,
      memoryMiB: 4096,
      diskGiB: 16,
      ipAddress: '127.0.10.20',
      sshPublicKeys: [],
    },
    proxmox: {
      apiUrl: 'https://127.0.0.1:8006',
      node: 'pve',
      tokenId: 'deployer@pve!pgd',
      tokenSecret: TOKEN_SECRET,
      tls: { mode: 'insecure' },
      templateVmid: 9000,
      storage: 'local-lvm',
      bridge: 'vmbr0',
      vlan: null,
      gateway: '127.0.10.1',
      dnsServers: ['127.0.0.53'],
      searchDomain: '',
      ipPool: { cidr: '127.0.10.0/24', rangeStart: '127.0.10.20', rangeEnd: '127.0.10.40' },
      ciUser: 'debian',
      sshPort: 22,
    },
    secrets: [RCON_SECRET],
    gameSecrets: { rcon_password: GAME_SECRET },
    ...overrides,
  })
}

/**
 * `pgd-runner register --server URL --code CODE` with `env`, as an admin runs it; fails with the
 * runner's own output unless it exits 0.
 */
export async function registerRunner(
  server: string,
  code: string,
  env: Record<string, string>,
): Promise<void> {
  const reg = await startRunner(['register', '--server', server, '--code', code], env)
  const exit = await reg.exited
  if (exit !== 0) {
    throw new Error(`pgd-runner register exited ${exit}:\n${reg.stderr()}${reg.stdout()}`)
  }
}
