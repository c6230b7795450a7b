import type { AlertChannelKind, AlertEvent } from '../../core/alerts'
import { discordBody, webhookBody } from './format'
import { signedHeaders } from './sign'

/** How one attempt went, in words an admin can act on; never the URL or the secret. */
export interface DeliveryResult {
  ok: boolean
  status: number | null
  error: string | null
}

/** A receiver that does not answer within this is counted as failed (and retried later). */
export const DELIVERY_TIMEOUT_MS = 10_000

/** The request one delivery sends: Discord's JSON, or the signed generic body. */
export async function buildDelivery(
  kind: AlertChannelKind,
  secrets: { url: string; signingSecret: string | null },
  event: AlertEvent,
  deliveryId: string,
  now = Date.now(),
): Promise<{ url: string; init: RequestInit }> {
  if (kind === 'discord') {
    return {
      url: secrets.url,
      init: {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: discordBody(event),
      },
    }
  }
  if (!secrets.signingSecret) throw new Error('a webhook channel without a signing secret')
  const body = webhookBody(event, deliveryId)
  return {
    url: secrets.url,
    init: { method: 'POST', headers: await signedHeaders(secrets.signingSecret, body, now), body },
  }
}

/**
 * Send one attempt. Redirects are not followed: a receiver that redirects could send the signed
 * body (or Discord's token-bearing path) to a host that was never validated.
 */
export async function deliverOnce(
  kind: AlertChannelKind,
  secrets: { url: string; signingSecret: string | null },
  event: AlertEvent,
  deliveryId: string,
): Promise<DeliveryResult> {
  const { url, init } = await buildDelivery(kind, secrets, event, deliveryId)
  try {
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    })
    await res.body?.cancel()
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, error: null }
    return { ok: false, status: res.status, error: `the receiver answered HTTP ${res.status}` }
  } catch (err) {
    const timedOut =
      err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')
    return {
      ok: false,
      status: null,
      error: timedOut
        ? `the receiver did not answer within ${DELIVERY_TIMEOUT_MS / 1000} s`
        : 'the receiver could not be reached',
    }
  }
}

/** Wait before attempt `attempt + 1` (attempt counts from 1): 30 s doubled each time, capped at 1 h. */
export function retryDelayMs(attempt: number, baseMs = 30_000): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), 3_600_000)
}
