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
import { WS_OPEN, WsClient } from '../../runner/src/ws-client'
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
