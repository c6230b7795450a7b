import type { FrameBody, LiveStatus, RunnerToServer, ServerToRunner } from '../../../core/protocol'
import type { Executors } from '../executors/types'
import type { Logger } from '../logger'
import { Redactor } from '../redact'

type WatchFrame = Extract<ServerToRunner, { type: 'watch' }>
/** A watch list that comes with work, so with the Proxmox connection. */
type ActiveWatch = WatchFrame & { proxmox: NonNullable<WatchFrame['proxmox']> }

/** Deployments checked at once in a refresh round. */
const CONCURRENCY = 4
/** A whole round (or sweep) may not take longer than this. */
const ROUND_TIMEOUT_MS = 60_000

/**
 * The live status loop and the sweep. The hub sends the list of deployments to keep an eye on
 * (`watch`, the whole list each time); every `statusIntervalMs` this checks each VM's power state
 * and the game, and reports the round; every `sweepIntervalMs` (if this runner sweeps) it lists
 * the node's VMs of this product for the hub to find orphans. Rounds never overlap.
 */
export class Watcher {
  private current: ActiveWatch | null = null
  private statusTimer: NodeJS.Timeout | null = null
  private sweepTimer: NodeJS.Timeout | null = null
  private running = { status: false, sweep: false }
  private stopped = false
  private readonly abort = new AbortController()

  constructor(
    private readonly deps: {
      executors: Executors
      send: (frame: FrameBody<RunnerToServer>) => void
      log: Logger
    },
  ) {}

  /**
   * A new list from the hub: the first round runs at once, then on the interval. An empty list
   * without the Proxmox connection stops both loops and forgets the connection (its token).
   */
  update(frame: WatchFrame): void {
    if (this.stopped) return
    if (frame.proxmox === null) {
      if (this.current) this.deps.log.debug('watch: nothing to watch or sweep any more')
      this.clear()
      return
    }
    const before = this.current
    this.current = { ...frame, proxmox: frame.proxmox }
    if (!before || before.statusIntervalMs !== frame.statusIntervalMs) {
      if (this.statusTimer) clearInterval(this.statusTimer)
      this.statusTimer = setInterval(() => void this.statusRound(), frame.statusIntervalMs)
      this.statusTimer.unref()
    }
    if (!before || before.sweepIntervalMs !== frame.sweepIntervalMs) {
      if (this.sweepTimer) clearInterval(this.sweepTimer)
      this.sweepTimer = null
      if (frame.sweepIntervalMs > 0) {
        this.sweepTimer = setInterval(() => void this.sweep(), frame.sweepIntervalMs)
        this.sweepTimer.unref()
        void this.sweep()
      }
    }
    this.deps.log.debug(
      `watch: ${frame.targets.length} deployment(s) every ${frame.statusIntervalMs} ms${frame.sweepIntervalMs > 0 ? `, sweep every ${frame.sweepIntervalMs} ms` : ''}`,
    )
    // Deployments new to the list are checked at once; the others keep their interval.
    const known = new Set(before?.targets.map((t) => t.deploymentId) ?? [])
    const fresh = frame.targets.filter((t) => !known.has(t.deploymentId))
    if (fresh.length > 0) void this.statusRound(new Set(fresh.map((t) => t.deploymentId)))
  }

  stop(): void {
    this.stopped = true
    this.abort.abort()
    this.clear()
  }

  /** No list, no timers, no connection held. */
  private clear(): void {
    this.current = null
    if (this.statusTimer) clearInterval(this.statusTimer)
    if (this.sweepTimer) clearInterval(this.sweepTimer)
    this.statusTimer = null
    this.sweepTimer = null
  }

  private signal(): AbortSignal {
    return AbortSignal.any([this.abort.signal, AbortSignal.timeout(ROUND_TIMEOUT_MS)])
  }

  private redactor(frame: ActiveWatch): Redactor {
    return new Redactor([frame.proxmox.tokenSecret])
  }

  /** Check every watched deployment (or those in `only`), a few at a time, and report them. */
  async statusRound(only?: ReadonlySet<string>): Promise<void> {
    const frame = this.current
    if (!frame || frame.targets.length === 0 || this.running.status || this.stopped) {
      // A round is running: the new ones wait for the next one, at most an interval away.
      return
    }
    this.running.status = true
    const startedAt = performance.now()
    try {
      const signal = this.signal()
      const redactor = this.redactor(frame)
      const statuses: { deploymentId: string; status: LiveStatus }[] = []
      const queue = frame.targets.filter((t) => !only || only.has(t.deploymentId))
      const worker = async (): Promise<void> => {
        for (let t = queue.shift(); t; t = queue.shift()) {
          let status: LiveStatus
          try {
            status = await this.deps.executors.inspect(frame.proxmox, t, signal)
          } catch (err) {
            status = { checkedAt: Date.now(), power: 'unknown', game: null, error: errorText(err) }
          }
          const latest = await this.latestVersion(t, signal)
          if (latest) status = { ...status, latestVersion: latest }
          statuses.push({ deploymentId: t.deploymentId, status: redactStatus(status, redactor) })
        }
      }
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker))
      // The list may have changed meanwhile: report only what is still watched.
      const still = new Set(this.current?.targets.map((t) => t.deploymentId))
      const report = statuses.filter((s) => still.has(s.deploymentId))
      if (report.length > 0 && !this.stopped)
        this.deps.send({ type: 'status.report', statuses: report })
      const ms = Math.round(performance.now() - startedAt)
      const line = `watch: checked ${statuses.length} deployment(s) in ${ms} ms`
      // A round longer than the interval means the statuses shown are older than promised.
      if (ms > frame.statusIntervalMs)
        this.deps.log.warn(`${line}, longer than the ${frame.statusIntervalMs} ms interval`)
      else this.deps.log.debug(line)
    } catch (err) {
      // Never an unhandled rejection: the next round tries again.
      this.deps.log.warn(`status: ${this.redactor(frame).redact(errorText(err))}`)
    } finally {
      this.running.status = false
    }
  }

  /**
   * The newest release of a `latest` deployment's channel, or null. A publisher that cannot be
   * read costs the status nothing: no update is offered this round, and the reason is logged.
   */
  private async latestVersion(
    target: WatchFrame['targets'][number],
    signal: AbortSignal,
  ): Promise<string | null> {
    const lookup = this.deps.executors.latestVersion
    if (!target.channel || !lookup) return null
    try {
      const version = await lookup.call(this.deps.executors, target.channel, signal)
      return version && version.length <= 64 ? version : null
    } catch (err) {
      this.deps.log.debug(`watch: newest release of ${target.deploymentId}: ${errorText(err)}`)
      return null
    }
  }

  /** List this product's VMs on the node for the hub. */
  async sweep(): Promise<void> {
    const frame = this.current
    if (!frame || frame.sweepIntervalMs === 0 || this.running.sweep || this.stopped) return
    this.running.sweep = true
    try {
      const at = Date.now()
      const vms = await this.deps.executors.listProductVms(frame.proxmox, this.signal())
      if (!this.stopped) this.deps.send({ type: 'sweep.report', at, vms })
    } catch (err) {
      this.deps.log.warn(`sweep: ${this.redactor(frame).redact(errorText(err))}`)
    } finally {
      this.running.sweep = false
    }
  }
}

function redactStatus(status: LiveStatus, redactor: Redactor): LiveStatus {
  const out: LiveStatus = { ...status }
  if (out.error) out.error = redactor.redact(out.error).slice(0, 1000)
  if (out.game && !out.game.online)
    out.game = { online: false, error: redactor.redact(out.game.error).slice(0, 1000) }
  return out
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 1000)
}
