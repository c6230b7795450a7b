/**
 * Signature of the generic webhook: HMAC-SHA256 over `<timestamp>.<body>` with the channel's
 * secret, sent as `X-PGD-Signature: sha256=<hex>` beside `X-PGD-Timestamp: <epoch seconds>`.
 * The timestamp is inside the MAC, so a receiver that refuses old timestamps refuses replays
 * (docs/alerts.md shows how to check it).
 */
export const SIGNATURE_HEADER = 'X-PGD-Signature'
export const TIMESTAMP_HEADER = 'X-PGD-Timestamp'

const encoder = new TextEncoder()

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('')
}

async function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
}

/** `sha256=<hex>` for a body sent at `timestamp` (epoch seconds). */
export async function signBody(secret: string, timestamp: number, body: string): Promise<string> {
  const mac = await crypto.subtle.sign(
    'HMAC',
    await hmacKey(secret),
    encoder.encode(`${timestamp}.${body}`),
  )
  return `sha256=${hex(mac)}`
}

/** The headers of a signed delivery: content type, timestamp and signature. */
export async function signedHeaders(
  secret: string,
  body: string,
  now = Date.now(),
): Promise<Record<string, string>> {
  const timestamp = Math.floor(now / 1000)
  return {
    'content-type': 'application/json',
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: await signBody(secret, timestamp, body),
  }
}

/** A random signing secret offered when an admin leaves the field empty: 32 bytes, hex. */
export function newSigningSecret(): string {
  return hex(crypto.getRandomValues(new Uint8Array(32)).buffer)
}
