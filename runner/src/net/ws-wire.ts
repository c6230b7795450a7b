import { createHash, randomFillSync } from 'node:crypto'

/**
 * The byte-level parts of the WebSocket protocol (RFC 6455) that `ws-client.ts` needs and that
 * hold no connection state: close codes, the server's upgrade answer, a client frame.
 */

/** Close codes this side reports (RFC 6455 §7.4.1). */
export const NORMAL = 1000
export const NO_STATUS = 1005
export const ABNORMAL = 1006
export const PROTOCOL_ERROR = 1002
export const INVALID_DATA = 1007
export const TOO_BIG = 1009

/**
 * Whether a close code may appear in a close frame (RFC 6455 §7.4.1-7.4.2, and the IANA
 * registry's assigned codes): 1005, 1006 and 1015 only report what happened locally and must
 * never be sent; 1004 and 1016-2999 are reserved; 3000-4999 are for libraries and applications.
 */
export function isWireCloseCode(code: number): boolean {
  return (
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1003) ||
      (code >= 1007 && code <= 1014) ||
      (code >= 3000 && code <= 4999))
  )
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

/**
 * What is wrong with a server's `101 Switching Protocols` answer (its header lines) to an upgrade
 * sent with `key`, or null when it accepts (RFC 6455 §4.1, the client's checks).
 */
export function upgradeProblem(headerLines: readonly string[], key: string): string | null {
  const headers = new Map<string, string>()
  for (const line of headerLines) {
    const colon = line.indexOf(':')
    if (colon > 0)
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  const expected = createHash('sha1')
    .update(key + GUID)
    .digest('base64')
  return headers.get('upgrade')?.toLowerCase() !== 'websocket'
    ? 'no "Upgrade: websocket"'
    : !/(^|,)\s*upgrade\s*(,|$)/i.test(headers.get('connection') ?? '')
      ? 'no "Connection: Upgrade"'
      : headers.get('sec-websocket-accept') !== expected
        ? 'a wrong Sec-WebSocket-Accept'
        : headers.has('sec-websocket-extensions') || headers.has('sec-websocket-protocol')
          ? 'an extension or subprotocol that was not asked for'
          : null
}

/** One final frame, masked as a client must (RFC 6455 §5.3): its header and its payload. */
export function maskedFrame(opcode: number, payload: Buffer): [Buffer, Buffer] {
  const length = payload.length
  const extra = length < 126 ? 0 : length < 65_536 ? 2 : 8
  const header = Buffer.allocUnsafe(6 + extra)
  header[0] = 0x80 | opcode
  if (extra === 0) header[1] = 0x80 | length
  else if (extra === 2) {
    header[1] = 0x80 | 126
    header.writeUInt16BE(length, 2)
  } else {
    header[1] = 0x80 | 127
    header.writeUInt32BE(Math.floor(length / 2 ** 32), 2)
    header.writeUInt32BE(length >>> 0, 6)
  }
  const mask = header.subarray(2 + extra, 6 + extra)
  randomFillSync(mask)
  const masked = Buffer.allocUnsafe(length)
  for (let i = 0; i < length; i++) masked[i] = (payload[i] as number) ^ (mask[i & 3] as number)
  return [header, masked]
}
