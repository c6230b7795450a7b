import { DurableObject } from 'cloudflare:workers'
import type { AlertEvent } from '../../core/alerts'
import { requireEncKeys } from '../crypto/enc-key'
import { appendLog, readChannels } from './channels'
import { deliverOnce, retryDelayMs } from './deliver'
import { openChannelSecrets } from './secrets'

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
 * Stored in the DO, so a delivery survives the request that raised it and a worker restart.
 */
export class AlertsDO extends DurableObject<Env> {
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
    if (channels.length > 0) await this.ctx.storage.setAlarm(now)
    return channels.length
  }

  /** What is waiting, for tests and the dashboard: channel, event and next attempt. */
  pending(): Pending[] {
    return [...this.ctx.storage.kv.list<Pending>({ prefix: PREFIX })].map(([, p]) => p)
  }

  override async alarm(): Promise<void> {
    const now = Date.now()
    const due = this.pending()
      .filter((p) => p.dueAt <= now)
      .sort((a, b) => a.dueAt - b.dueAt)
      .slice(0, BATCH)
    if (due.length > 0) {
      const channels = new Map((await readChannels(this.env)).map((c) => [c.id, c]))
      const keys = requireEncKeys(this.env)
      for (const p of due) {
        const channel = channels.get(p.channelId)
        // A channel removed since the event was raised: nothing to send it to.
        if (!channel) {
          this.ctx.storage.kv.delete(`${PREFIX}${p.id}`)
          continue
        }
        const secrets = await openChannelSecrets(keys, channel.id, channel)
        const result = await deliverOnce(channel.kind, secrets, p.event, p.id)
        await appendLog(this.env, channel.id, {
          at: Date.now(),
          event: p.event.type,
          attempt: p.attempt,
          status: result.status,
          error: result.error,
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
    const rest = this.pending()
    if (rest.length > 0) await this.ctx.storage.setAlarm(Math.min(...rest.map((p) => p.dueAt)))
  }
}
