import {
  observeServer,
  runnerBack,
  runnerDeadline,
  runnerDueAt,
  runnerGone,
  serverDeadline,
  serverDueAt,
  type HealthSignal,
  type RunnerPresence,
  type RunnerWatch,
  type ServerWatch,
  type WatchStep,
} from '../../core/alert-watch'
import type { AlertEvent } from '../../core/alerts'
import { runnerActive } from '../db/runners'
import { hubStub } from '../do/stubs'
import { alertWaitsMs } from './timing'

const SERVER = 's:'
const RUNNER = 'r:'

/**
 * The server and runner watches, stored in the AlertsDO beside its delivery queue so one alarm
 * serves both: a grace period that runs out here raises its alert straight into that queue.
 * (The DeploymentDO only reports changes of its health signal; its own alarm stays about jobs.)
 */
export class AlertWatches {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly env: Env,
    private readonly raise: (event: AlertEvent) => Promise<unknown>,
  ) {}

  private async apply<W>(key: string, step: WatchStep<W>): Promise<void> {
    if (step.watch === null) this.storage.kv.delete(key)
    else this.storage.kv.put(key, step.watch)
    if (step.alert) await this.raise(step.alert)
  }

  async server(
    deployment: ServerWatch['deployment'],
    signal: HealthSignal,
    at: number,
  ): Promise<void> {
    const key = `${SERVER}${deployment.id}`
    const watch = this.storage.kv.get<ServerWatch>(key) ?? null
    await this.apply(key, observeServer(watch, deployment, signal, at))
  }

  runnerGone(runner: RunnerWatch['runner'], at: number): void {
    const key = `${RUNNER}${runner.id}`
    const watch = this.storage.kv.get<RunnerWatch>(key) ?? null
    this.storage.kv.put(key, runnerGone(watch, runner, at))
  }

  async runnerBack(runnerId: string, at: number): Promise<void> {
    const key = `${RUNNER}${runnerId}`
    await this.apply(key, runnerBack(this.storage.kv.get<RunnerWatch>(key) ?? null, at))
  }

  servers(): [string, ServerWatch][] {
    return [...this.storage.kv.list<ServerWatch>({ prefix: SERVER })]
  }

  runners(): [string, RunnerWatch][] {
    return [...this.storage.kv.list<RunnerWatch>({ prefix: RUNNER })]
  }

  /** The earliest deadline of any watch, for the alarm. */
  async nextDueAt(): Promise<number | null> {
    const servers = this.servers()
    const runners = this.runners()
    if (servers.length === 0 && runners.length === 0) return null
    const { graceMs, offlineMs } = await alertWaitsMs(this.env)
    const due = [
      ...servers.map(([, w]) => serverDueAt(w, graceMs)),
      ...runners.map(([, w]) => runnerDueAt(w, offlineMs)),
    ].filter((d): d is number => d !== null)
    return due.length === 0 ? null : Math.min(...due)
  }

  /** Run every deadline that has come. */
  async due(at: number): Promise<void> {
    const { graceMs, offlineMs } = await alertWaitsMs(this.env)
    for (const [key, watch] of this.servers()) {
      const due = serverDueAt(watch, graceMs)
      if (due !== null && due <= at) await this.apply(key, serverDeadline(watch, graceMs, at))
    }
    const dueRunners = this.runners().filter(([, w]) => {
      const due = runnerDueAt(w, offlineMs)
      return due !== null && due <= at
    })
    if (dueRunners.length === 0) return
    const online = await hubStub(this.env).status()
    for (const [key, watch] of dueRunners) {
      const presence: RunnerPresence = online[watch.runner.id]?.online
        ? 'online'
        : (await runnerActive(this.env.DB, watch.runner.id))
          ? 'offline'
          : 'revoked'
      await this.apply(key, runnerDeadline(watch, offlineMs, at, presence))
    }
  }
}
