import type { AlertDeliveryLogEntry } from '../../core/alerts'

/** The newest attempts kept per channel. */
export const LOG_LIMIT = 50
const LOG = 'log:'

/**
 * The channels' delivery logs, in the AlertsDO's own storage: only this object writes them, so an
 * attempt logged by the alarm can never overwrite (or be overwritten by) an admin's edit of the
 * channels, which live in their own D1 row.
 */
export class DeliveryLog {
  constructor(private readonly storage: DurableObjectStorage) {}

  /** Add an attempt to a channel's log, newest first, keeping the last LOG_LIMIT. */
  append(channelId: string, entry: AlertDeliveryLogEntry): void {
    const key = `${LOG}${channelId}`
    const log = this.storage.kv.get<AlertDeliveryLogEntry[]>(key) ?? []
    this.storage.kv.put(key, [entry, ...log].slice(0, LOG_LIMIT))
  }

  of(channelId: string): AlertDeliveryLogEntry[] {
    return this.storage.kv.get<AlertDeliveryLogEntry[]>(`${LOG}${channelId}`) ?? []
  }

  /** Every channel's log, by channel id. */
  all(): Record<string, AlertDeliveryLogEntry[]> {
    const out: Record<string, AlertDeliveryLogEntry[]> = {}
    for (const [key, log] of this.storage.kv.list<AlertDeliveryLogEntry[]>({ prefix: LOG }))
      out[key.slice(LOG.length)] = log
    return out
  }

  forget(channelId: string): void {
    this.storage.kv.delete(`${LOG}${channelId}`)
  }
}
