import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import type { Server as HttpServer } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import { createServer as createHttpsServer } from 'node:https'
import { createServer as createNetServer } from 'node:net'
import type { AddressInfo, Server as NetServer, Socket } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import type { WebSocket } from 'ws'
import { MAX_FRAGMENTS, MAX_MESSAGE_BYTES, WS_OPEN, WsClient } from '../../runner/src/net/ws-client'
import { generateCertificates } from '../pve-sim/tls'
import { killAllRunners, removeDirs, runnerEnv, startRunner, tempDir, waitFor } from './harness'

/**
 * The runner's own WebSocket client, against the `ws` package's server (what a compliant server
 * does) and against a raw TCP server (what a broken one does).
 */

interface Seen {
  opened: boolean
  messages: { text: string; binary: boolean }[]
  errors: string[]
  status: number | null
  closed: { code: number; reason: string } | null
}

function client(url: string, headers: Record<string, string> = {}): { ws: WsClient; seen: Seen } {
  const seen: Seen = { opened: false, messages: [], errors: [], status: null, closed: null }
  const ws = new WsClient(
    url,
    { headers, handshakeTimeoutMs: 5_000 },
    {
      onOpen: () => (seen.opened = true),
      onMessage: (data, binary) => seen.messages.push({ text: data.toString(), binary }),
      onUnexpectedResponse: (status) => (seen.status = status),
      onError: (err) => seen.errors.push(err.message),
      onClose: (code, reason) => (seen.closed = { code, reason }),
    },
  )
  return { ws, seen }
}

const servers: (HttpServer | HttpsServer | NetServer)[] = []
const connections: Socket[] = []
afterEach(async () => {
  for (const socket of connections.splice(0)) socket.destroy()
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))))
})

/** Keeps a server and its connections, to close them all after the test. */
function track<T extends HttpServer | HttpsServer | NetServer>(server: T): T {
  servers.push(server)
  server.on('connection', (socket: Socket) => connections.push(socket))
  return server
}

/** A `ws` server on loopback port 0; 401 for requests without the right authorization. */
async function wsServer(): Promise<{
  url: string
  sockets: WebSocket[]
  headers: string[]
}> {
  const http = track(createHttpServer())
  const wss = new WebSocketServer({ noServer: true })
  const sockets: WebSocket[] = []
  const headers: string[] = []
  http.on('upgrade', (req, socket, head) => {
    if (req.headers.authorization !== 'Bearer right') {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n')
      return
    }
    headers.push(req.headers.authorization)
    wss.handleUpgrade(req, socket, head, (ws) => sockets.push(ws))
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  return {
    url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/path?x=1`,
    sockets,
    headers,
  }
}

/** A raw TCP server that answers the upgrade with `answer(key)` and then writes `after`. */
async function rawServer(answer: (key: string) => string, after?: Buffer): Promise<string> {
  const net = track(
    createNetServer((socket: Socket) => {
      let head = ''
      socket.on('data', (d: Buffer) => {
        head += d.toString('latin1')
        const key = /sec-websocket-key: (\S+)/i.exec(head)?.[1]
        if (!head.includes('\r\n\r\n') || !key) return
        head = ''
        socket.write(answer(key))
        if (after) socket.write(after)
      })
      socket.on('error', () => {})
    }),
  )
  await new Promise<void>((resolve) => net.listen(0, '127.0.0.1', resolve))
  return `ws://127.0.0.1:${(net.address() as AddressInfo).port}/`
}

const accept = (key: string) =>
  createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64')
const upgraded = (key: string) =>
  `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(key)}\r\n\r\n`

describe('WsClient against a compliant server', () => {
  it('sends its headers, and exchanges text both ways, small and large', async () => {
    const server = await wsServer()
    const { ws, seen } = client(server.url, { authorization: 'Bearer right' })
    await waitFor(() => seen.opened && server.sockets[0], 'the connection to open')
    const peer = server.sockets[0] as WebSocket
    const got: string[] = []
    peer.on('message', (d) => got.push(String(d)))
    const big = 'x'.repeat(300_000)
    ws.send('hello')
    ws.send(big)
    peer.send('small')
    peer.send(big)
    await waitFor(() => got.length === 2 && seen.messages.length === 2, 'both messages each way')
    expect(server.headers).toEqual(['Bearer right'])
    expect(got).toEqual(['hello', big])
    expect(seen.messages).toEqual([
      { text: 'small', binary: false },
      { text: big, binary: false },
    ])
    expect(ws.readyState).toBe(WS_OPEN)
  })

  it('joins a fragmented message and answers a ping with a pong', async () => {
    const server = await wsServer()
    const { seen } = client(server.url, { authorization: 'Bearer right' })
    await waitFor(() => seen.opened && server.sockets[0], 'the connection to open')
    const peer = server.sockets[0] as WebSocket
    let pong = ''
    peer.on('pong', (d) => (pong = String(d)))
    peer.send('frag', { fin: false })
    peer.ping('are you there')
    peer.send('ment', { fin: true })
    await waitFor(() => seen.messages.length === 1 && pong, 'the message and the pong')
    expect(seen.messages).toEqual([{ text: 'fragment', binary: false }])
    expect(pong).toBe('are you there')
  })

  it('reports the server’s close code and reason, and answers the close', async () => {
    const server = await wsServer()
    const { seen } = client(server.url, { authorization: 'Bearer right' })
    await waitFor(() => seen.opened && server.sockets[0], 'the connection to open')
    const peer = server.sockets[0] as WebSocket
    let peerClosed: number | null = null
    peer.on('close', (code) => (peerClosed = code))
    peer.close(4410, 'job gone')
    await waitFor(() => seen.closed && peerClosed, 'both sides closed')
    expect(seen.closed).toEqual({ code: 4410, reason: 'job gone' })
    expect(peerClosed).toBe(4410)
  })

  it('sends its own close code and reason', async () => {
    const server = await wsServer()
    const { ws, seen } = client(server.url, { authorization: 'Bearer right' })
    await waitFor(() => seen.opened && server.sockets[0], 'the connection to open')
    const peer = server.sockets[0] as WebSocket
    let peerClosed: { code: number; reason: string } | null = null
    peer.on('close', (code, reason) => (peerClosed = { code, reason: String(reason) }))
    ws.close(1001, 'runner stopping')
    await waitFor(() => seen.closed && peerClosed, 'both sides closed')
    expect(peerClosed).toEqual({ code: 1001, reason: 'runner stopping' })
    expect(seen.closed?.code).toBe(1001)
  })

  it('reports the HTTP status of a refused upgrade and never opens', async () => {
    const server = await wsServer()
    const { seen } = client(server.url, { authorization: 'Bearer wrong' })
    await waitFor(() => seen.closed, 'the refused connection to close')
    expect(seen).toMatchObject({ opened: false, status: 401, closed: { code: 1006 } })
  })

  it('refuses a header value with a line break', () => {
    expect(() => client('ws://127.0.0.1:9/', { authorization: 'Bearer x\r\nX-Evil: 1' })).toThrow(
      /line break/,
    )
  })
})

describe('WsClient against a broken server', () => {
  it('does not open when the accept key is wrong', async () => {
    const url = await rawServer(
      () =>
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: bm9wZQ==\r\n\r\n',
    )
    const { seen } = client(url)
    await waitFor(() => seen.closed, 'the connection to close')
    expect(seen.opened).toBe(false)
    expect(seen.errors).toEqual([expect.stringMatching(/Sec-WebSocket-Accept/)])
    expect(seen.closed?.code).toBe(1006)
  })

  it('closes with 1002 on a masked frame from the server', async () => {
    const masked = Buffer.from([0x81, 0x82, 1, 2, 3, 4, 0x68 ^ 1, 0x69 ^ 2])
    const url = await rawServer(upgraded, masked)
    const { seen } = client(url)
    await waitFor(() => seen.closed, 'the connection to close')
    expect(seen.messages).toEqual([])
    expect(seen.errors).toEqual([expect.stringMatching(/masked/)])
    expect(seen.closed?.code).toBe(1002)
  })

  it('closes with 1007 on a text message that is not UTF-8', async () => {
    const url = await rawServer(upgraded, Buffer.from([0x81, 0x02, 0xc3, 0x28]))
    const { seen } = client(url)
    await waitFor(() => seen.closed, 'the connection to close')
    expect(seen.messages).toEqual([])
    expect(seen.closed?.code).toBe(1007)
  })

  it('reads frames split at every byte boundary', async () => {
    const frames = Buffer.concat([
      Buffer.from([0x81, 0x03]),
      Buffer.from('one'),
      Buffer.from([0x81, 126, 0x01, 0x00]),
      Buffer.alloc(256, 0x61),
    ])
    const net = track(
      createNetServer((socket) => {
        socket.once('data', async (d: Buffer) => {
          const key = /sec-websocket-key: (\S+)/i.exec(d.toString('latin1'))?.[1] ?? ''
          socket.write(upgraded(key))
          for (const byte of frames) {
            socket.write(Buffer.from([byte]))
            await new Promise((r) => setImmediate(r))
          }
        })
        socket.on('error', () => {})
      }),
    )
    await new Promise<void>((resolve) => net.listen(0, '127.0.0.1', resolve))
    const { seen } = client(`ws://127.0.0.1:${(net.address() as AddressInfo).port}/`)
    await waitFor(() => seen.messages.length === 2, 'both messages')
    expect(seen.messages.map((m) => m.text)).toEqual(['one', 'a'.repeat(256)])
  })
})

/** What the client sent, unmasked, as a raw server reads it. */
interface ClientFrame {
  opcode: number
  payload: Buffer
}

/**
 * A raw TCP server that upgrades one connection and hands back its socket and the client's
 * frames, decoded, for tests that send what a broken or hostile server would.
 */
async function rawPeer(): Promise<{
  url: string
  socket: () => Socket | undefined
  frames: ClientFrame[]
}> {
  const frames: ClientFrame[] = []
  let peer: Socket | undefined
  const net = track(
    createNetServer((socket: Socket) => {
      let head: Buffer | null = Buffer.alloc(0)
      let rest = Buffer.alloc(0)
      socket.on('data', (d: Buffer) => {
        if (head) {
          head = Buffer.concat([head, d])
          const end = head.indexOf('\r\n\r\n')
          if (end < 0) return
          const key = /sec-websocket-key: (\S+)/i.exec(head.toString('latin1'))?.[1] ?? ''
          d = head.subarray(end + 4)
          head = null
          socket.write(upgraded(key))
          peer = socket
        }
        rest = Buffer.concat([rest, d])
        // Client frames are small here: 7-bit lengths, always masked.
        while (rest.length >= 6 && rest.length >= 6 + ((rest[1] as number) & 0x7f)) {
          const length = (rest[1] as number) & 0x7f
          const mask = rest.subarray(2, 6)
          const payload = Buffer.from(rest.subarray(6, 6 + length))
          for (let i = 0; i < payload.length; i++)
            payload[i] = (payload[i] as number) ^ (mask[i & 3] as number)
          frames.push({ opcode: (rest[0] as number) & 0x0f, payload })
          rest = rest.subarray(6 + length)
        }
      })
      socket.on('error', () => {})
    }),
  )
  await new Promise<void>((resolve) => net.listen(0, '127.0.0.1', resolve))
  return {
    url: `ws://127.0.0.1:${(net.address() as AddressInfo).port}/`,
    socket: () => peer,
    frames,
  }
}

/** A server frame (unmasked, FIN set unless `fin` is false) of `opcode` with `payload`. */
function serverFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const length = payload.length
  const head =
    length < 126
      ? Buffer.from([opcode | (fin ? 0x80 : 0), length])
      : length < 65_536
        ? Buffer.from([opcode | (fin ? 0x80 : 0), 126, length >> 8, length & 0xff])
        : Buffer.concat([Buffer.from([opcode | (fin ? 0x80 : 0), 127]), u64(length)])
  return Buffer.concat([head, payload])
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8)
  b.writeUInt32BE(Math.floor(n / 2 ** 32), 0)
  b.writeUInt32BE(n >>> 0, 4)
  return b
}

/** A close frame's payload with `code`. */
function closeCode(code: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeUInt16BE(code)
  return b
}

/** The close codes in the client's close frames. */
function sentCloseCodes(frames: ClientFrame[]): (number | null)[] {
  return frames
    .filter((f) => f.opcode === 0x8)
    .map((f) => (f.payload.length >= 2 ? f.payload.readUInt16BE(0) : null))
}

describe('WsClient against a hostile server', () => {
  it('never sends 1005, 1006 or 1015: a close carrying one is a protocol error (1002)', async () => {
    for (const code of [1005, 1006, 1015]) {
      const peer = await rawPeer()
      const { seen } = client(peer.url)
      await waitFor(() => seen.opened && peer.socket(), 'the connection to open')
      peer.socket()?.write(serverFrame(0x8, closeCode(code)))
      await waitFor(() => sentCloseCodes(peer.frames).length > 0, `the answer to close ${code}`)
      expect(sentCloseCodes(peer.frames), `close ${code}`).toEqual([1002])
      await waitFor(() => seen.closed, 'the client to report the close')
      expect(seen.closed?.code).toBe(1002)
    }
  })

  it('answers a close without a code with 1000, and echoes a valid one', async () => {
    const bare = await rawPeer()
    const first = client(bare.url)
    await waitFor(() => first.seen.opened && bare.socket(), 'the connection to open')
    bare.socket()?.write(serverFrame(0x8, Buffer.alloc(0)))
    await waitFor(() => sentCloseCodes(bare.frames).length > 0, 'the answer to a bare close')
    expect(sentCloseCodes(bare.frames)).toEqual([1000])

    const coded = await rawPeer()
    const second = client(coded.url)
    await waitFor(() => second.seen.opened && coded.socket(), 'the connection to open')
    coded.socket()?.write(serverFrame(0x8, closeCode(4409)))
    await waitFor(() => sentCloseCodes(coded.frames).length > 0, 'the answer to close 4409')
    expect(sentCloseCodes(coded.frames)).toEqual([4409])
  })

  it('closes with 1009 on a message in endless empty fragments, delivering nothing', async () => {
    const peer = await rawPeer()
    const { seen } = client(peer.url)
    await waitFor(() => seen.opened && peer.socket(), 'the connection to open')
    const empty = serverFrame(0x0, Buffer.alloc(0), false)
    peer
      .socket()
      ?.write(
        Buffer.concat([
          serverFrame(0x1, Buffer.from('a'), false),
          ...Array.from({ length: MAX_FRAGMENTS + 10 }, () => empty),
          serverFrame(0x0, Buffer.from('b')),
        ]),
      )
    await waitFor(() => seen.closed, 'the connection to close')
    expect(seen.messages).toEqual([])
    expect(seen.errors).toEqual(['a message is in too many fragments'])
    expect(sentCloseCodes(peer.frames)).toEqual([1009])
  })

  it('closes with 1009 as soon as a frame header makes its message too large', async () => {
    const peer = await rawPeer()
    const { seen } = client(peer.url)
    await waitFor(() => seen.opened && peer.socket(), 'the connection to open')
    // A first fragment, then only the header of a continuation that would pass the limit: its
    // payload never comes, and is not waited for.
    peer
      .socket()
      ?.write(
        Buffer.concat([
          serverFrame(0x1, Buffer.alloc(1000, 0x61), false),
          Buffer.from([0x80, 127]),
          u64(MAX_MESSAGE_BYTES - 1000 + 1),
        ]),
      )
    await waitFor(() => seen.closed, 'the connection to close', 2_000)
    expect(seen.closed?.code).toBe(1009)
    expect(sentCloseCodes(peer.frames)).toEqual([1009])
  })

  it('joins a message of the largest size, arriving in 4 KiB pieces, in linear time', async () => {
    const peer = await rawPeer()
    const received: number[] = []
    const ws = new WsClient(
      peer.url,
      { headers: {}, handshakeTimeoutMs: 5_000 },
      {
        onOpen: () => {},
        onMessage: (data) => received.push(data.length),
        onUnexpectedResponse: () => {},
        onError: () => {},
        onClose: () => {},
      },
    )
    await waitFor(() => peer.socket(), 'the connection to open')
    const frame = serverFrame(0x2, Buffer.alloc(MAX_MESSAGE_BYTES, 0x61))
    const socket = peer.socket() as Socket
    const started = performance.now()
    // One piece per event-loop turn, so the client reads them one by one (4,096 reads).
    for (let at = 0; at < frame.length; at += 4096) {
      socket.write(frame.subarray(at, at + 4096))
      await new Promise((r) => setImmediate(r))
    }
    await waitFor(() => received.length === 1, 'the message', 20_000)
    const elapsed = performance.now() - started
    ws.close()
    expect(received).toEqual([MAX_MESSAGE_BYTES])
    // Copying everything read so far at every read would move ~34 GB here: tens of seconds.
    expect(elapsed).toBeLessThan(5_000)
  })
})

describe('WsClient over TLS', () => {
  const certs = generateCertificates('pve')

  /** An HTTPS server with the simulator's certificates, upgrading every request. */
  async function wssServer(): Promise<{ port: number; frames: string[] }> {
    const https = track(createHttpsServer({ cert: certs.certPem, key: certs.keyPem }))
    const wss = new WebSocketServer({ server: https })
    const frames: string[] = []
    wss.on('connection', (ws, req) => {
      frames.push(`auth ${req.headers.authorization}`)
      ws.on('message', (d) => {
        const text = String(d)
        frames.push(text)
        if (text.includes('"hello"'))
          ws.send(
            JSON.stringify({
              v: 1,
              type: 'welcome',
              runnerId: 'r-tls',
              heartbeatIntervalMs: 10_000,
            }),
          )
      })
    })
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve))
    return { port: (https.address() as AddressInfo).port, frames }
  }

  it('refuses a server whose certificate it cannot verify', async () => {
    const { port } = await wssServer()
    const { seen } = client(`wss://localhost:${port}/`)
    await waitFor(() => seen.closed, 'the connection to close')
    expect(seen.opened).toBe(false)
    expect(seen.errors.join(' ')).toMatch(/certificate/i)
  })

  it('connects the runner over wss:// to a server its CA store trusts', async () => {
    const { port, frames } = await wssServer()
    const state = tempDir()
    const ca = join(state, 'ca.pem')
    writeFileSync(ca, certs.caPem)
    const proc = await startRunner(
      ['run'],
      runnerEnv(`https://localhost:${port}`, state, { NODE_EXTRA_CA_CERTS: ca }),
    )
    try {
      await proc.waitForOutput(/welcomed as runner r-tls/, 'the runner welcomed over TLS')
      expect(frames[0]).toBe('auth Bearer test-runner-key-0123456789abcdef')
      expect(frames[1]).toContain('"hello"')
    } finally {
      await killAllRunners()
      removeDirs([state])
    }
  })
})
