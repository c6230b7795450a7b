import { DurableObject } from 'cloudflare:workers'
import type { HealthSignal, RunnerWatch, ServerWatch } from '../../core/alert-watch'
import type { AlertDeliveryLogEntry, AlertEvent } from '../../core/alerts'
import { requireEncKeys } from '../crypto/enc-key'
import { findChannel, readChannels } from './channels'
import { deliverOnce, retryDelayMs, type DeliveryResult } from './deliver'
import { DeliveryLog } from './delivery-log'
import { openChannelSecrets } from './secrets'
import { AlertWatches } from './watches'

/** One delivery waiting for its next attempt. */
interface Pending {
  id: string
  channelId: string
  event: AlertEvent
  /** The attempt this will be, from 1. */
  attempt: number
  dueAt: number
}

const PREFIX = 'q:'
/** Deliveries handled per alarm run, so one run stays short; the rest wait for the next. */
const BATCH = 20

function positiveInt(text: string | undefined, fallback: number): number {
  const n = Number(text)
  return Number.isInteger(n) && n > 0 ? n : fallback
}

/**
 * The one alert queue: raising an event stores one delivery per channel that wants it, and the
 * alarm sends them, retrying a failed one with exponential backoff up to ALERT_MAX_ATTEMPTS.
 * Stored in the DO, so a delivery survives the request that raised it and a worker restart. The
 * same object keeps the channels' delivery logs and the server and runner watches, whose grace
 * periods share its alarm.
 */
export class AlertsDO extends DurableObject<Env> {
  private readonly log = new DeliveryLog(this.ctx.storage)
  private readonly watches = new AlertWatches(this.ctx.storage, this.env, (e) => this.raise(e))

  private maxAttempts(): number {
    return positiveInt(this.env.ALERT_MAX_ATTEMPTS, 5)
  }

  private retryBaseMs(): number {
    return positiveInt(this.env.ALERT_RETRY_BASE_MS, 30_000)
  }

  /** Queue `event` for every channel switched on for it; returns how many were queued. */
  async raise(event: AlertEvent): Promise<number> {
    const channels = (await readChannels(this.env)).filter((c) => c.events.includes(event.type))
    const now = Date.now()
    for (const channel of channels) {
      const id = crypto.randomUUID()
      const pending: Pending = { id, channelId: channel.id, event, attempt: 1, dueAt: now }
      this.ctx.storage.kv.put(`${PREFIX}${id}`, pending)
    }
    if (channels.length > 0) await this.armAlarm(now)
    return channels.length
  }

  /** What is waiting, for tests and the dashboard: channel, event and next attempt. */
  pending(): Pending[] {
    return [...this.ctx.storage.kv.list<Pending>({ prefix: PREFIX })].map(([, p]) => p)
  }

  /** Every channel's delivery log, by channel id. */
  logs(): Record<string, AlertDeliveryLogEntry[]> {
    return this.log.all()
  }

  /** A channel was removed: its log goes with it. */
  forgetChannel(channelId: string): void {
    this.log.forget(channelId)
  }

  /** "Send test": one attempt now, logged like any delivery; its outcome in plain words. */
  async sendTest(channelId: string): Promise<DeliveryResult> {
    const channel = await findChannel(this.env, channelId)
    const secrets = await openChannelSecrets(requireEncKeys(this.env), channel.id, channel)
    const at = Date.now()
    const result = await deliverOnce(
      channel.kind,
      secrets,
      { type: 'deployment_ready', at, detail: 'This is a test alert sent from Settings.' },
      `test-${crypto.randomUUID()}`,
    )
    this.log.append(channel.id, { at, event: 'test', attempt: 1, ...statusOf(result) })
    return result
  }

  /** A deployment's health signal changed (or is still down): see core/alert-watch.ts. */
  async serverHealth(
    deployment: ServerWatch['deployment'],
    signal: HealthSignal,
    at: number,
  ): Promise<void> {
    await this.watches.server(deployment, signal, at)
    await this.armAlarm()
  }

  /** A runner's control socket went away and no other one of it is open. */
  async runnerGone(runner: RunnerWatch['runner'], at: number): Promise<void> {
    this.watches.runnerGone(runner, at)
    await this.armAlarm()
  }

  /** A runner said hello. */
  async runnerBack(runnerId: string, at: number): Promise<void> {
    await this.watches.runnerBack(runnerId, at)
    await this.armAlarm()
  }

  /** The watches as stored, for tests. */
  watchList(): { servers: ServerWatch[]; runners: RunnerWatch[] } {
    return {
      servers: this.watches.servers().map(([, w]) => w),
      runners: this.watches.runners().map(([, w]) => w),
    }
  }

  /** One alarm at the earliest of: the next delivery attempt, the next watch deadline. */
  private async armAlarm(soon?: number): Promise<void> {
    const due = [soon, ...this.pending().map((p) => p.dueAt), await this.watches.nextDueAt()]
    const next = Math.min(...due.filter((d): d is number => d !== null && d !== undefined))
    if (!Number.isFinite(next)) return
    const current = await this.ctx.storage.getAlarm()
    if (current === null || next < current) await this.ctx.storage.setAlarm(next)
  }

  override async alarm(): Promise<void> {
    await this.watches.due(Date.now())
    await this.deliverDue()
    const rest = [...this.pending().map((p) => p.dueAt), await this.watches.nextDueAt()].filter(
      (d): d is number => d !== null,
    )
    if (rest.length > 0) await this.ctx.storage.setAlarm(Math.min(...rest))
  }

  private async deliverDue(): Promise<void> {
    const now = Date.now()
    const due = this.pending()
      .filter((p) => p.dueAt <= now)
      .sort((a, b) => a.dueAt - b.dueAt)
      .slice(0, BATCH)
    if (due.length === 0) return
    const channels = new Map((await readChannels(this.env)).map((c) => [c.id, c]))
    const keys = requireEncKeys(this.env)
    for (const p of due) {
      const channel = channels.get(p.channelId)
      // A channel removed since the event was raised: nothing to send it to.
      if (!channel) {
        this.ctx.storage.kv.delete(`${PREFIX}${p.id}`)
        continue
      }
      const result = await openChannelSecrets(keys, channel.id, channel).then(
        (secrets) => deliverOnce(channel.kind, secrets, p.event, p.id),
        // A key rotated away without re-sealing: said in the log, and retried (the previous key
        // may come back), instead of failing the whole alarm run.
        (): DeliveryResult => ({
          ok: false,
          status: null,
          error: 'the address could not be opened with the encryption keys set',
        }),
      )
      this.log.append(channel.id, {
        at: Date.now(),
        event: p.event.type,
        attempt: p.attempt,
        ...statusOf(result),
      })
      if (result.ok || p.attempt >= this.maxAttempts()) {
        this.ctx.storage.kv.delete(`${PREFIX}${p.id}`)
      } else {
        const next = {
          ...p,
          attempt: p.attempt + 1,
          dueAt: Date.now() + retryDelayMs(p.attempt, this.retryBaseMs()),
        }
        this.ctx.storage.kv.put(`${PREFIX}${p.id}`, next)
      }
    }
  }
}

function statusOf(result: DeliveryResult): { status: number | null; error: string | null } {
  return { status: result.status, error: result.error }
}
