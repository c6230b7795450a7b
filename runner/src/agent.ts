import { readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { FrameBody, JobAssignment, RunnerToServer, ServerToRunner } from '../../core/protocol'
import { encodeRunnerToHub } from '../../core/protocol/codec'
import type { ProxmoxConnection } from '../../core/settings'
import type { RunConfig } from './setup/config'
import type { Executors } from './executors/types'
import { assertNever } from '../../core/assert'
import { parseServerFrame } from './net/control-frames'
import type { JobRun } from './jobs/job-run'
import type { Logger } from './logger'
import { Redactor } from './redact'
import { ManagedSocket } from './net/socket'
import type { SocketEnding } from './net/socket'
import type { SshKeyPair } from './ssh/key'
import { RUNNER_VERSION } from './version'
import { Watcher } from './jobs/watch'
import { OperateService } from './console/service'

/** A connection test may not hold a runner forever. */
const TEST_TIMEOUT_MS = 60_000
/** Reading the capacity: two Proxmox GETs; the hub stops waiting after 5 s anyway. */
const CAPACITY_TIMEOUT_MS = 10_000
/** Listing a storage's backups, or deleting one (a task). */
const BACKUPS_TIMEOUT_MS = 60_000
/** Destroying an orphan: shutdown, delete and the tasks' waits. */
const ORPHAN_DESTROY_TIMEOUT_MS = 4 * 60_000
/** After the drain deadline, how long aborted steps get to unwind before the process exits. */
const ABORT_GRACE_MS = 3_000
/** Spools of jobs that never came back are deleted after this long. */
const SPOOL_MAX_AGE_MS = 7 * 24 * 3_600_000

/** Why the runner stopped; the CLI turns it into the exit code. */
export type RunnerExit =
  { kind: 'stopped' } | { kind: 'revoked'; message: string } | { kind: 'replaced'; message: string }

export interface RunnerDeps {
  /** Dashboard base URL, http(s)://. */
  server: string
  key: string
  executors: Executors
  ssh: SshKeyPair
  log: Logger
}

export interface Runner {
  start(): void
  /** Drains: no new jobs, running steps reach a checkpoint, done within the drain timeout. */
  stop(): Promise<void>
  /** Settles once, with the reason the runner stopped. */
  readonly ended: Promise<RunnerExit>
}

/** `https://x` → `wss://x`, `http://localhost` → `ws://localhost`. */
export function socketBase(server: string): string {
  return server.replace(/^http/, 'ws')
}

/**
 * The composition root: one control socket, up to `maxJobs` job runs, drain on stop.
 */
export function createRunner(config: RunConfig, deps: RunnerDeps): Runner {
  const { log } = deps
  const jobs = new Map<string, JobRun>()
  let draining = false
  let end: (exit: RunnerExit) => void = () => {}
  const ended = new Promise<RunnerExit>((resolve) => (end = resolve))

  const activeCount = () => [...jobs.values()].filter((j) => j.active).length
  const watcher = new Watcher({ executors: deps.executors, send: (f) => send(f), log })
  const operate = new OperateService((f) => send(f), deps.ssh.privateKeyPath, log)

  const control = new ManagedSocket({
    url: `${socketBase(deps.server)}/api/runner/connect`,
    key: deps.key,
    label: 'control',
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    backoffBaseMs: config.backoffBaseMs,
    backoffMaxMs: config.backoffMaxMs,
    log,
    encode: encodeRunnerToHub,
    onOpen: () =>
      send({
        type: 'hello',
        version: RUNNER_VERSION,
        sshPublicKey: deps.ssh.publicKey,
        maxJobs: config.maxJobs,
        activeJobs: [...jobs.values()].filter((j) => j.active).map((j) => j.jobId),
      }),
    onMessage,
    // The hub ended every server log this socket carried: their SSH sessions end too.
    onDisconnect: () => operate.stopAll(),
    onEnd,
  })

  function send(frame: FrameBody<RunnerToServer>): void {
    control.send(frame)
  }

  // Frames are handled one after the other, in order, even when one waits for a lazily imported
  // module (the protocol's schemas, a job's code): a cancel never overtakes its assignment.
  let inbox: Promise<void> = Promise.resolve()
  function onMessage(text: string): void {
    inbox = inbox
      .then(() => handleFrame(text))
      .catch((err: unknown) => log.error(`control: cannot handle a frame: ${errorText(err)}`))
  }

  async function handleFrame(text: string): Promise<void> {
    const parsed = await parseServerFrame(text)
    if (!parsed.ok) {
      log.warn(`control: ignoring a frame from the server: ${parsed.error}`)
      return
    }
    const frame = parsed.frame
    switch (frame.type) {
      case 'welcome':
        control.confirmed(frame.heartbeatIntervalMs)
        log.info(`control: welcomed as runner ${frame.runnerId}`)
        return
      case 'job.assign':
        return accept(frame.job)
      case 'job.cancel':
        jobs.get(frame.jobId)?.cancel()
        return
      case 'test.request':
        void runTest(frame.requestId, frame.proxmox)
        return
      case 'capacity.request':
        void readCapacity(frame.requestId, frame.proxmox)
        return
      case 'backups.request':
        void backups(frame)
        return
      case 'snapshots.request':
        void snapshots(frame)
        return
      case 'watch':
        watcher.update(frame)
        return
      case 'vm.destroy':
        void destroyVm(frame)
        return
      case 'console.request':
        void operate.console(frame)
        return
      case 'journal.open':
        operate.openJournal(frame)
        return
      case 'journal.close':
        operate.closeJournal(frame.streamId)
        return
      default:
        return assertNever(frame)
    }
  }

  // A refused job is simply not taken: its lease expires server-side and it is queued again.
  async function accept(job: JobAssignment): Promise<void> {
    if (jobs.has(job.jobId)) return log.debug(`job ${job.jobId}: already running here`)
    if (draining) return log.info(`job ${job.jobId}: not taken, the runner is stopping`)
    if (activeCount() >= config.maxJobs) {
      return log.warn(`job ${job.jobId}: not taken, already running ${config.maxJobs} job(s)`)
    }
    // A job's code is imported when the first job comes: an idle runner does not hold it.
    const { JobRun } = await import('./jobs/job-run')
    if (draining) return log.info(`job ${job.jobId}: not taken, the runner is stopping`)
    log.info(`job ${job.jobId}: taken (${job.kind}, attempt ${job.attempt})`)
    let run: JobRun
    try {
      run = new JobRun(job, {
        config,
        socketBase: socketBase(deps.server),
        key: deps.key,
        executors: deps.executors,
        ssh: deps.ssh,
        log,
        onRevoked: (detail) => onEnd({ kind: 'revoked', detail }),
      })
    } catch (err) {
      // e.g. the state dir is not writable: the lease expires and another runner may do better.
      return log.error(`job ${job.jobId}: cannot start: ${errorText(err)}`)
    }
    jobs.set(job.jobId, run)
    void run.finished
      .catch((err: unknown) =>
        log.error(`job ${job.jobId}: stopped by an internal error: ${errorText(err)}`),
      )
      .finally(() => jobs.delete(job.jobId))
  }

  async function runTest(requestId: string, proxmox: ProxmoxConnection): Promise<void> {
    const redactor = new Redactor([proxmox.tokenSecret])
    log.info(`test ${requestId}: testing ${proxmox.apiUrl}`)
    let checks
    try {
      checks = await deps.executors.testConnection(proxmox, {
        log: (text) => log.debug(`test ${requestId}: ${redactor.redact(text)}`),
        signal: AbortSignal.timeout(TEST_TIMEOUT_MS),
      })
    } catch (err) {
      checks = [{ name: 'runner', ok: false, message: `the test itself failed: ${errorText(err)}` }]
    }
    send({
      type: 'test.result',
      requestId,
      checks: checks.map((c) => ({
        ...c,
        message: redactor.redact(c.message),
        ...(c.fix ? { fix: redactor.redact(c.fix) } : {}),
        ...(c.commands ? { commands: c.commands.map((k) => redactor.redact(k)) } : {}),
      })),
    })
  }

  async function readCapacity(requestId: string, proxmox: ProxmoxConnection): Promise<void> {
    const redactor = new Redactor([proxmox.tokenSecret])
    try {
      const capacity = await deps.executors.capacity(
        proxmox,
        AbortSignal.timeout(CAPACITY_TIMEOUT_MS),
      )
      send({ type: 'capacity.result', requestId, capacity })
    } catch (err) {
      const error = redactor.redact(errorText(err)).slice(0, 1000)
      log.warn(`capacity ${requestId}: ${error}`)
      send({ type: 'capacity.result', requestId, capacity: null, error })
    }
  }

  /** A deployment's backups: delete one if asked, then the list as it is now. */
  async function backups(frame: Extract<ServerToRunner, { type: 'backups.request' }>) {
    const redactor = new Redactor([frame.proxmox.tokenSecret])
    const signal = AbortSignal.timeout(BACKUPS_TIMEOUT_MS)
    const { requestId, proxmox, deploymentId } = frame
    try {
      if (frame.delete) {
        log.info(`backups: deleting ${frame.delete} of deployment ${deploymentId}`)
        await deps.executors.deleteBackup(proxmox, deploymentId, frame.delete, signal)
      }
      if (frame.protect) {
        const { volid, protected: on } = frame.protect
        log.info(`backups: ${on ? 'protecting' : 'unprotecting'} ${volid} of ${deploymentId}`)
        await deps.executors.protectBackup(proxmox, deploymentId, volid, on, signal)
      }
      const list = await deps.executors.listBackups(proxmox, deploymentId, signal)
      send({ type: 'backups.result', requestId, backups: list })
    } catch (err) {
      const error = redactor.redact(errorText(err)).slice(0, 1000)
      log.warn(`backups ${requestId}: ${error}`)
      send({ type: 'backups.result', requestId, backups: null, error })
    }
  }

  /** A deployment's VM snapshots: delete one if asked, then the list as it is now. */
  async function snapshots(frame: Extract<ServerToRunner, { type: 'snapshots.request' }>) {
    const redactor = new Redactor([frame.proxmox.tokenSecret])
    const signal = AbortSignal.timeout(BACKUPS_TIMEOUT_MS)
    const { requestId, proxmox, deploymentId } = frame
    try {
      if (frame.delete) {
        log.info(`snapshots: deleting ${frame.delete} of deployment ${deploymentId}`)
        await deps.executors.deleteSnapshot(proxmox, deploymentId, frame.delete, signal)
      }
      const list = await deps.executors.listSnapshots(proxmox, deploymentId, signal)
      send({ type: 'snapshots.result', requestId, snapshots: list })
    } catch (err) {
      const error = redactor.redact(errorText(err)).slice(0, 1000)
      log.warn(`snapshots ${requestId}: ${error}`)
      send({ type: 'snapshots.result', requestId, snapshots: null, error })
    }
  }

  /** Destroy an orphan the admin (or the cleanup policy) picked from the sweep's list. */
  async function destroyVm(frame: Extract<ServerToRunner, { type: 'vm.destroy' }>): Promise<void> {
    const redactor = new Redactor([frame.proxmox.tokenSecret])
    log.info(`orphan: destroying VM ${frame.vmid}`)
    let ok = true
    let message: string
    try {
      message = await deps.executors.destroyVm(frame.proxmox, frame.vmid, frame.deploymentId, {
        log: (text) => log.info(`orphan ${frame.vmid}: ${redactor.redact(text)}`),
        signal: AbortSignal.timeout(ORPHAN_DESTROY_TIMEOUT_MS),
      })
    } catch (err) {
      ok = false
      message = errorText(err)
    }
    send({
      type: 'vm.destroy.result',
      requestId: frame.requestId,
      ok,
      message: redactor.redact(message).slice(0, 4000),
    })
  }

  let ending = false
  function onEnd(why: SocketEnding): void {
    if (ending) return
    ending = true
    const exit: RunnerExit =
      why.kind === 'replaced'
        ? {
            kind: 'replaced',
            message: 'another process of this runner connected with the same key; this one stops',
          }
        : {
            kind: 'revoked',
            message: `the server refused this runner (${why.detail}): it was revoked or its key is wrong; register it again with "pgd-runner register --server URL --code CODE"`,
          }
    void control.close()
    watcher.stop()
    operate.stopAll()
    for (const job of jobs.values()) job.abortNow()
    const all = Promise.all([...jobs.values()].map((j) => j.finished))
    void Promise.race([all, delay(ABORT_GRACE_MS)]).then(() => end(exit))
  }

  function cleanOldSpools(): void {
    const dir = join(config.stateDir, 'spool')
    let names: string[]
    try {
      names = readdirSync(dir)
    } catch {
      return
    }
    for (const name of names) {
      const path = join(dir, name)
      if (Date.now() - statSync(path).mtimeMs > SPOOL_MAX_AGE_MS) rmSync(path, { force: true })
    }
  }

  return {
    ended,
    start() {
      cleanOldSpools()
      log.info(
        `runner ${RUNNER_VERSION} starting: server ${deps.server}, up to ${config.maxJobs} job(s)`,
      )
      control.start()
    },
    async stop() {
      if (draining) return
      draining = true
      const running = [...jobs.values()]
      log.info(`draining: ${running.length} job(s) running, deadline ${config.drainTimeoutMs} ms`)
      for (const job of running) job.drain()
      const all = Promise.all(running.map((j) => j.finished))
      const inTime = await Promise.race([
        all.then(() => true),
        delay(config.drainTimeoutMs).then(() => false),
      ])
      if (!inTime) {
        log.warn('drain deadline reached: aborting the running steps')
        for (const job of running) job.abortNow()
        await Promise.race([all, delay(ABORT_GRACE_MS)])
      }
      watcher.stop()
      operate.stopAll()
      await control.close(1001, 'runner stopping')
      end({ kind: 'stopped' })
    },
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
