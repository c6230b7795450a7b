import { spawn as nodeSpawn } from 'node:child_process'
import type { ChildProcess, SpawnOptions } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PlaybookOutputTracker, describeExitCode } from './output'
import type { PlayRecap, TaskFailure } from './output'
import { LineSplitter, redactor } from './lines'
import { knownHostsLine } from '../ssh/host-key'
import { markUnsafe } from './unsafe-vars'

/** After SIGTERM, how long ansible-playbook gets to stop before SIGKILL. */
export const ANSIBLE_KILL_GRACE_MS = 10_000

/**
 * The machine the playbook provisions: over SSH (the default), which needs the VM's pinned host
 * key, or `local`, this machine (tests).
 */
export type PlaybookTarget =
  | {
      connection?: 'ssh'
      address: string
      /** SSH port (default 22). */
      port?: number
      user: string
      /**
       * The VM's pinned SSH host key (`ssh-ed25519 AAAA…`, ssh/host-key.ts): the only key
       * OpenSSH accepts for this run (`StrictHostKeyChecking=yes`); any other fails the run
       * before a task starts.
       */
      hostKey: string
    }
  | { connection: 'local'; address: string; user: string }

export type SpawnFn = (command: string, args: string[], options: SpawnOptions) => ChildProcess

export interface RunPlaybookOptions {
  /** Absolute path of the playbook. */
  playbook: string
  target: PlaybookTarget
  /** The runner's private key, written into the inventory (never on the command line). */
  privateKeyPath?: string
  /**
   * Extra vars: written to a 0600 JSON file passed as `@file`, removed afterwards. Every string
   * in them is marked unsafe, so Ansible uses it as data and never templates it (unsafe-vars.ts).
   */
  extraVars: Record<string, unknown>
  /** Receives every output line (stdout and stderr), secrets redacted. */
  log: (line: string) => void
  /** Strings to replace with `***` in every line, e.g. generated passwords. */
  secrets?: readonly string[]
  /** Aborting sends SIGTERM to ansible-playbook (and its ssh children), SIGKILL after the grace. */
  signal?: AbortSignal
  killGraceMs?: number
  /** `ansible-playbook` unless given, e.g. a pipx install of a newer ansible-core. */
  ansiblePlaybookBin?: string
  /** Extra environment, e.g. ANSIBLE_CONFIG. */
  env?: Record<string, string>
  /** Seam for tests that inspect the argv. */
  spawn?: SpawnFn
}

export interface PlaybookResult {
  ok: boolean
  /** null when the process could not start or was killed by a signal. */
  exitCode: number | null
  aborted: boolean
  /** The task that failed, when one did. */
  failure: TaskFailure | null
  recap: PlayRecap | null
  /** One line for the step's error, null on success. */
  error: string | null
  durationMs: number
}

/**
 * Runs `ansible-playbook` against one host and streams its output. The inventory and the extra
 * vars go to files in a private temporary folder (0700, files 0600) that is removed afterwards,
 * so no secret appears on the command line or stays on disk. Never rejects: the outcome,
 * including the failing task and Ansible's message, is in the result.
 */
export async function runPlaybook(options: RunPlaybookOptions): Promise<PlaybookResult> {
  const started = performance.now()
  let extraVars: unknown
  try {
    extraVars = markUnsafe(options.extraVars)
  } catch (err) {
    const error = `ansible-playbook not started: ${err instanceof Error ? err.message : String(err)}`
    return { ...NOT_RUN, error, durationMs: performance.now() - started }
  }
  const dir = await mkdtemp(join(tmpdir(), 'pgd-ansible-'))
  try {
    const inventoryPath = join(dir, 'inventory.json')
    const extraVarsPath = join(dir, 'extra-vars.json')
    const knownHostsPath = join(dir, 'known_hosts')
    const { target } = options
    if (target.connection !== 'local') {
      await writeFile(knownHostsPath, knownHostsLine(HOST_KEY_ALIAS, target.hostKey), {
        mode: 0o600,
      })
    }
    await writeFile(inventoryPath, JSON.stringify(inventory(options, knownHostsPath)), {
      mode: 0o600,
    })
    await writeFile(extraVarsPath, JSON.stringify(extraVars), { mode: 0o600 })
    const args = ['-i', inventoryPath, '--extra-vars', `@${extraVarsPath}`, options.playbook]
    const outcome = await execute(options, args, dir)
    const tracker = outcome.tracker
    const exitCode = outcome.exitCode
    const ok = exitCode === 0 && !outcome.aborted
    return {
      ok,
      exitCode,
      aborted: outcome.aborted,
      failure: tracker.failure,
      recap: tracker.recap.find((r) => r.host === TARGET_NAME) ?? tracker.recap[0] ?? null,
      error: ok ? null : describeFailure(outcome, options.secrets ?? []),
      durationMs: performance.now() - started,
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

const NOT_RUN = { ok: false, exitCode: null, aborted: false, failure: null, recap: null } as const

/** The inventory's name for the single target host. */
const TARGET_NAME = 'target'
/** The name the pinned key is filed under in the run's known_hosts (OpenSSH's HostKeyAlias). */
const HOST_KEY_ALIAS = 'pgd-vm'

function inventory(options: RunPlaybookOptions, knownHostsPath: string): unknown {
  const { target } = options
  const vars: Record<string, unknown> =
    target.connection === 'local'
      ? { ansible_connection: 'local', ansible_python_interpreter: 'auto_silent' }
      : {
          ansible_host: target.address,
          ansible_port: target.port ?? 22,
          ansible_user: target.user,
          ansible_python_interpreter: 'auto_silent',
          // The VM's pinned key is the only one accepted: this run's own known_hosts (never the
          // runner's, where a later VM reusing the address would clash), filed under an alias
          // so the address and port play no part, and nothing is learnt or updated.
          ansible_ssh_common_args: [
            '-o StrictHostKeyChecking=yes',
            `-o UserKnownHostsFile=${knownHostsPath}`,
            '-o GlobalKnownHostsFile=/dev/null',
            `-o HostKeyAlias=${HOST_KEY_ALIAS}`,
            '-o CheckHostIP=no',
            '-o UpdateHostKeys=no',
            '-o ConnectTimeout=20',
          ].join(' '),
          ...(options.privateKeyPath
            ? { ansible_ssh_private_key_file: options.privateKeyPath }
            : {}),
        }
  return { all: { hosts: { [TARGET_NAME]: vars } } }
}

interface Outcome {
  exitCode: number | null
  aborted: boolean
  spawnError: string | null
  tracker: PlaybookOutputTracker
}

function execute(options: RunPlaybookOptions, args: string[], dir: string): Promise<Outcome> {
  const spawn = options.spawn ?? nodeSpawn
  const redact = redactor(options.secrets ?? [])
  const tracker = new PlaybookOutputTracker()
  const emit = (line: string) => {
    const clean = redact(line)
    tracker.push(clean)
    options.log(clean)
  }
  return new Promise((resolve) => {
    const child = spawn(options.ansiblePlaybookBin ?? 'ansible-playbook', args, {
      env: {
        ...process.env,
        // Checked, against the pinned key alone (the inventory's ssh arguments).
        ANSIBLE_HOST_KEY_CHECKING: 'True',
        ANSIBLE_NOCOLOR: '1',
        ANSIBLE_FORCE_COLOR: '0',
        ANSIBLE_RETRY_FILES_ENABLED: 'False',
        ANSIBLE_PIPELINING: 'True',
        ANSIBLE_LOCAL_TEMP: join(dir, 'tmp'),
        // This run's own SSH master connections: one left by an earlier run (ControlPersist)
        // would carry this run's commands without checking the host key again.
        ANSIBLE_SSH_CONTROL_PATH_DIR: join(dir, 'cp'),
        // Line-by-line output instead of Python's block buffering on a pipe.
        PYTHONUNBUFFERED: '1',
        // Per-task times in the log: after each task header, the previous task's length and the
        // run's total; after the recap, the ten slowest tasks (ansible.posix ships with the
        // distro's ansible; an ansible-core without it warns once and runs on).
        ANSIBLE_CALLBACKS_ENABLED: 'ansible.posix.profile_tasks',
        PROFILE_TASKS_TASK_OUTPUT_LIMIT: '10',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so an abort reaches the forked workers and ssh processes too.
      detached: true,
    })
    const stdout = new LineSplitter(emit)
    const stderr = new LineSplitter(emit)
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk))

    let aborted = false
    let killTimer: NodeJS.Timeout | undefined
    const signalGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
      try {
        process.kill(-child.pid, sig)
      } catch {
        child.kill(sig)
      }
    }
    const onAbort = () => {
      aborted = true
      signalGroup('SIGTERM')
      killTimer = setTimeout(
        () => signalGroup('SIGKILL'),
        options.killGraceMs ?? ANSIBLE_KILL_GRACE_MS,
      )
    }
    if (options.signal?.aborted) onAbort()
    else options.signal?.addEventListener('abort', onAbort, { once: true })

    let spawnError: string | null = null
    child.on('error', (err) => {
      spawnError = err.message
    })
    child.on('close', (code) => {
      clearTimeout(killTimer)
      options.signal?.removeEventListener('abort', onAbort)
      stdout.end()
      stderr.end()
      tracker.end()
      resolve({ exitCode: code, aborted, spawnError, tracker })
    })
  })
}

function describeFailure(outcome: Outcome, secrets: readonly string[]): string {
  if (outcome.spawnError) return `ansible-playbook could not start: ${outcome.spawnError}`
  if (outcome.aborted) return 'ansible-playbook was stopped: the step was cancelled'
  const { failure } = outcome.tracker
  // ansible-playbook exits with 4 for unreachable hosts too, not only for a parser error.
  const exit = failure?.unreachable && outcome.exitCode === 4 ? 3 : outcome.exitCode
  const code = exit === null ? 'killed' : describeExitCode(exit)
  if (!failure) return `ansible-playbook failed (${code})`
  const message = redactor(secrets)(failure.message)
  const what = failure.unreachable ? 'could not reach the VM' : 'failed'
  return `Ansible task "${failure.task}" ${what}: ${message} (${code})`
}
