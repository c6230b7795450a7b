import { isUtf8 } from 'node:buffer'
import { randomBytes } from 'node:crypto'
import { connect as netConnect } from 'node:net'
import type { Socket } from 'node:net'
import {
  ABNORMAL,
  INVALID_DATA,
  isWireCloseCode,
  maskedFrame,
  NO_STATUS,
  NORMAL,
  PROTOCOL_ERROR,
  TOO_BIG,
  upgradeProblem,
} from './ws-wire'

/**
 * A WebSocket client (RFC 6455) with just what the runner's sockets use: text frames out, text
 * and binary in (fragmented or not), ping answered, the close handshake, the HTTP status of a
 * refused upgrade, custom request headers. No extensions, no subprotocols.
 *
 * Why not the `ws` package: it loads Node's HTTP client and server, HTTPS, TLS and zlib at start,
 * ~7 MB of an idle runner's ~62; Node's built-in WebSocket (undici) costs more still.
 * This one needs `node:net`, and `node:tls` only for `wss://` URLs, loaded on first use.
 */

export const WS_CONNECTING = 0
export const WS_OPEN = 1
export const WS_CLOSING = 2
export const WS_CLOSED = 3

/** Once closing, the TCP connection is dropped if the peer has not closed it within this. */
const CLOSE_TIMEOUT_MS = 5_000
/** The server's HTTP answer to the upgrade may not be longer than this. */
const MAX_HANDSHAKE_BYTES = 16 * 1024
/**
 * A message larger than this closes the socket (1009), checked from a frame's header before its
 * payload is buffered. The server's largest frames (a watch list of 1,000 deployments) are about
 * a megabyte.
 */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024
/**
 * A message in more fragments than this closes the socket (1009): zero-length continuation
 * frames would otherwise pile up without adding a byte to the size limit. The server never
 * fragments its messages.
 */
export const MAX_FRAGMENTS = 1_024

export interface WsClientOptions {
  /** Extra request headers, e.g. `authorization`. */
  headers: Readonly<Record<string, string>>
  /** The TCP (and TLS) connection and the upgrade must be done within this. */
  handshakeTimeoutMs: number
}

export interface WsClientHandlers {
  onOpen(): void
  onMessage(data: Buffer, isBinary: boolean): void
  /** The server answered the upgrade with something else than 101 (e.g. 401). */
  onUnexpectedResponse(status: number): void
  onError(err: Error): void
  /** Always last, exactly once: the server's close code and reason, or 1006 if there was none. */
  onClose(code: number, reason: string): void
}

class WsProtocolError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message)
  }
}

export class WsClient {
  readyState: number = WS_CONNECTING
  private readonly socket: Socket
  private readonly key = randomBytes(16).toString('base64')
  private handshake: Buffer | null = Buffer.alloc(0)
  /** Bytes read and not yet parsed, as they came: joined once a whole frame is there. */
  private pending: Buffer[] = []
  private pendingBytes = 0
  private fragments: Buffer[] = []
  private fragmentCount = 0
  private fragmentBytes = 0
  private fragmentBinary = false
  private closeSent = false
  private received: { code: number; reason: string } | null = null
  private closed = false
  private readonly timer: NodeJS.Timeout
  private closeTimer: NodeJS.Timeout | null = null

  constructor(
    url: string,
    options: WsClientOptions,
    private readonly handlers: WsClientHandlers,
  ) {
    const target = new URL(url)
    const secure = target.protocol === 'wss:'
    if (!secure && target.protocol !== 'ws:') throw new Error(`not a ws:// or wss:// URL: ${url}`)
    const lines = [
      `GET ${target.pathname}${target.search} HTTP/1.1`,
      `Host: ${target.host}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${this.key}`,
      'Sec-WebSocket-Version: 13',
    ]
    for (const [name, value] of Object.entries(options.headers)) {
      // A CR or LF would let a value (a key from a file) inject headers.
      if (/[\r\n]/.test(name) || /[\r\n]/.test(value))
        throw new Error(`header ${name} has a line break`)
      lines.push(`${name}: ${value}`)
    }
    const request = `${lines.join('\r\n')}\r\n\r\n`
    const host = target.hostname.replace(/^\[(.*)\]$/, '$1')
    const port = Number(target.port) || (secure ? 443 : 80)
    this.socket = secure
      ? process.getBuiltinModule('node:tls').connect({
          host,
          port,
          // SNI takes a name, not an address.
          servername: /^[\d.]+$|:/.test(host) ? '' : host,
          ALPNProtocols: ['http/1.1'],
        })
      : netConnect({ host, port })
    this.socket.setNoDelay(true)
    this.socket.once(secure ? 'secureConnect' : 'connect', () => this.socket.write(request))
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk))
    this.socket.on('error', (err) => this.handlers.onError(err))
    this.socket.on('end', () => this.socket.end())
    this.socket.on('close', () => this.finish())
    this.timer = setTimeout(() => {
      this.handlers.onError(new Error('Opening handshake has timed out'))
      this.socket.destroy()
    }, options.handshakeTimeoutMs)
  }

  /** Bytes written but not yet handed to the kernel, for back-pressure. */
  get bufferedAmount(): number {
    return this.socket.writableLength
  }

  /** Sends one text frame; ignored unless open. */
  send(text: string): void {
    if (this.readyState !== WS_OPEN) return
    this.sendFrame(0x1, Buffer.from(text, 'utf8'))
  }

  /** Starts the close handshake (or aborts a connection still opening). */
  close(code = 1000, reason = ''): void {
    if (this.readyState === WS_CONNECTING) return this.terminate()
    if (this.readyState !== WS_OPEN) return
    this.readyState = WS_CLOSING
    this.sendClose(code, reason)
    this.dropLater()
  }

  /** Drops the connection at once; `onClose` reports 1006. */
  terminate(): void {
    this.readyState = WS_CLOSING
    this.socket.destroy()
  }

  private finish(): void {
    if (this.closed) return
    this.closed = true
    clearTimeout(this.timer)
    if (this.closeTimer) clearTimeout(this.closeTimer)
    this.readyState = WS_CLOSED
    const { code, reason } = this.received ?? { code: ABNORMAL, reason: '' }
    this.handlers.onClose(code, reason)
  }

  private onData(chunk: Buffer): void {
    if (this.handshake) {
      const head = Buffer.concat([this.handshake, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) {
        if (head.length > MAX_HANDSHAKE_BYTES) this.fail('the upgrade answer is too long')
        else this.handshake = head
        return
      }
      this.handshake = null
      if (!this.accept(head.subarray(0, end).toString('latin1'))) return
      chunk = head.subarray(end + 4)
      if (chunk.length === 0) return
    }
    if (this.readyState === WS_CLOSED) return
    this.pending.push(chunk)
    this.pendingBytes += chunk.length
    try {
      this.readFrames()
    } catch (err) {
      if (!(err instanceof WsProtocolError)) throw err
      this.handlers.onError(err)
      this.received ??= { code: err.code, reason: '' }
      if (this.readyState === WS_OPEN) {
        this.readyState = WS_CLOSING
        this.sendClose(err.code, '')
      }
      this.socket.end()
      this.dropLater()
      this.pending = []
      this.pendingBytes = 0
    }
  }

  /** A copy of the first `n` pending bytes (n ≤ pendingBytes), or a view when not split. */
  private peek(n: number): Buffer {
    const first = this.pending[0] as Buffer
    if (first.length >= n) return first.subarray(0, n)
    const out = Buffer.allocUnsafe(n)
    let at = 0
    for (const part of this.pending) {
      at += part.copy(out, at, 0, Math.min(part.length, n - at))
      if (at === n) break
    }
    return out
  }

  /** Removes and returns the first `n` pending bytes (n ≤ pendingBytes). */
  private take(n: number): Buffer {
    const first = this.pending[0] as Buffer
    let out: Buffer
    if (first.length >= n) {
      out = first.subarray(0, n)
      if (first.length === n) this.pending.shift()
      else this.pending[0] = first.subarray(n)
    } else {
      // The frame spans several reads: join exactly its bytes, once.
      out = Buffer.allocUnsafe(n)
      let at = 0
      while (at < n) {
        const head = this.pending[0] as Buffer
        const part = Math.min(head.length, n - at)
        head.copy(out, at, 0, part)
        at += part
        if (part === head.length) this.pending.shift()
        else this.pending[0] = head.subarray(part)
      }
    }
    this.pendingBytes -= n
    return out
  }

  /** Checks the server's answer to the upgrade; false (and the socket closing) if refused. */
  private accept(head: string): boolean {
    const [statusLine = '', ...headerLines] = head.split('\r\n')
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)
    if (!status) {
      this.fail('the server did not answer with HTTP')
      return false
    }
    if (status[1] !== '101') {
      clearTimeout(this.timer)
      this.handlers.onUnexpectedResponse(Number(status[1]))
      this.socket.destroy()
      return false
    }
    const problem = upgradeProblem(headerLines, this.key)
    if (problem) {
      this.fail(`the upgrade answer has ${problem}`)
      return false
    }
    clearTimeout(this.timer)
    this.readyState = WS_OPEN
    this.handlers.onOpen()
    return true
  }

  private fail(message: string): void {
    this.handlers.onError(new Error(message))
    this.socket.destroy()
  }

  private readFrames(): void {
    for (;;) {
      if (this.pendingBytes < 2) return
      // The longest header without a mask (which a server never sends) is 10 bytes.
      const buf = this.peek(Math.min(this.pendingBytes, 10))
      const b0 = buf[0] as number
      const b1 = buf[1] as number
      const fin = (b0 & 0x80) !== 0
      const opcode = b0 & 0x0f
      if (b0 & 0x70) throw new WsProtocolError('a reserved bit is set', PROTOCOL_ERROR)
      if (b1 & 0x80) throw new WsProtocolError('the server masked a frame', PROTOCOL_ERROR)
      let length = b1 & 0x7f
      let offset = 2
      if (length === 126) {
        if (buf.length < 4) return
        length = buf.readUInt16BE(2)
        offset = 4
      } else if (length === 127) {
        if (buf.length < 10) return
        const high = buf.readUInt32BE(2)
        if (high !== 0) throw new WsProtocolError('a frame is too large', TOO_BIG)
        length = buf.readUInt32BE(6)
        offset = 10
      }
      // Before its payload is buffered: a data frame counts toward its message's size.
      const limit = opcode < 0x8 ? MAX_MESSAGE_BYTES - this.fragmentBytes : MAX_MESSAGE_BYTES
      if (length > limit) throw new WsProtocolError('a message is too large', TOO_BIG)
      if (this.pendingBytes < offset + length) return
      const payload = this.take(offset + length).subarray(offset)
      this.onFrame(fin, opcode, payload)
      if (this.readyState === WS_CLOSED) return
    }
  }

  private onFrame(fin: boolean, opcode: number, payload: Buffer): void {
    if (opcode >= 0x8) {
      if (!fin || payload.length > 125)
        throw new WsProtocolError('a control frame is fragmented or too long', PROTOCOL_ERROR)
      if (opcode === 0x8) return this.onCloseFrame(payload)
      if (opcode === 0x9) return this.sendFrame(0xa, payload)
      if (opcode === 0xa) return
      throw new WsProtocolError(`unknown opcode ${opcode}`, PROTOCOL_ERROR)
    }
    if (opcode === 0x0) {
      if (this.fragmentCount === 0)
        throw new WsProtocolError('a continuation frame without a start', PROTOCOL_ERROR)
    } else if (opcode === 0x1 || opcode === 0x2) {
      if (this.fragmentCount > 0)
        throw new WsProtocolError('a new message inside a fragmented one', PROTOCOL_ERROR)
      this.fragmentBinary = opcode === 0x2
    } else {
      throw new WsProtocolError(`unknown opcode ${opcode}`, PROTOCOL_ERROR)
    }
    if (++this.fragmentCount > MAX_FRAGMENTS)
      throw new WsProtocolError('a message is in too many fragments', TOO_BIG)
    this.fragmentBytes += payload.length
    if (this.fragmentBytes > MAX_MESSAGE_BYTES)
      throw new WsProtocolError('a message is too large', TOO_BIG)
    // Kept as they come (each its own buffer, nothing to copy) and joined once, at the end.
    if (payload.length > 0) this.fragments.push(payload)
    if (!fin) return
    const message =
      this.fragments.length === 1
        ? (this.fragments[0] as Buffer)
        : Buffer.concat(this.fragments, this.fragmentBytes)
    this.fragments = []
    this.fragmentBytes = 0
    this.fragmentCount = 0
    if (!this.fragmentBinary && !isUtf8(message))
      throw new WsProtocolError('a text message is not UTF-8', INVALID_DATA)
    if (this.readyState === WS_OPEN) this.handlers.onMessage(message, this.fragmentBinary)
  }

  private onCloseFrame(payload: Buffer): void {
    if (payload.length === 1) throw new WsProtocolError('a close frame of one byte', PROTOCOL_ERROR)
    const sent = payload.length >= 2 ? payload.readUInt16BE(0) : null
    // 1005, 1006 and 1015 are never on the wire; reserved codes neither (RFC 6455 §7.4).
    if (sent !== null && !isWireCloseCode(sent))
      throw new WsProtocolError(`an invalid close code ${sent}`, PROTOCOL_ERROR)
    const code = sent ?? NO_STATUS
    const reason = payload.subarray(2)
    if (!isUtf8(reason)) throw new WsProtocolError('a close reason is not UTF-8', INVALID_DATA)
    this.received ??= { code, reason: reason.toString('utf8') }
    // The code is echoed (RFC 6455 §5.5.1); a close without one is answered with 1000.
    if (!this.closeSent) this.sendClose(code === NO_STATUS ? NORMAL : code, '')
    this.readyState = WS_CLOSING
    // The server closes the TCP connection first (RFC 6455 §7.1.1); end our side too.
    this.socket.end()
    this.dropLater()
  }

  private dropLater(): void {
    this.closeTimer ??= setTimeout(() => this.socket.destroy(), CLOSE_TIMEOUT_MS)
  }

  /** A close frame; a code that may not be sent (e.g. 1006) goes out as 1000. */
  private sendClose(code: number, reason: string): void {
    this.closeSent = true
    const text = Buffer.from(reason, 'utf8').subarray(0, 123)
    const payload = Buffer.alloc(2 + text.length)
    payload.writeUInt16BE(isWireCloseCode(code) ? code : NORMAL, 0)
    text.copy(payload, 2)
    this.sendFrame(0x8, payload)
  }

  /** One frame, masked as a client must (RFC 6455 §5.3). */
  private sendFrame(opcode: number, payload: Buffer): void {
    if (this.socket.destroyed) return
    const [header, masked] = maskedFrame(opcode, payload)
    this.socket.cork()
    this.socket.write(header)
    this.socket.write(masked)
    this.socket.uncork()
  }
}
