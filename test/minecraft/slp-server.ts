import { createServer } from 'node:net'
import type { Server, Socket } from 'node:net'

/**
 * A small stand-in Minecraft server for SLP client tests, on 127.0.0.1 port 0. It decodes frames
 * itself (not with the client's codec, so a codec bug cannot hide on both sides).
 */

export interface FakeSlpOptions {
  /** The status JSON to send (a string is sent as is). */
  status: unknown
  /** `echo`: answer the ping; `close`: close instead; `silent`: never answer anything. */
  pong?: 'echo' | 'close' | 'silent'
  /** Send every answer one byte at a time, as a fragmenting network would. */
  fragment?: boolean
}

export interface Handshake {
  protocol: number
  host: string
  port: number
  nextState: number
}

function varInt(value: number): number[] {
  const out: number[] = []
  let v = value >>> 0
  do {
    out.push((v & 0x7f) | (v >>> 7 ? 0x80 : 0))
    v >>>= 7
  } while (v)
  return out
}

function readVarInt(buf: Buffer, at: number): [number, number] | null {
  let value = 0
  for (let i = 0; i < 5; i++) {
    const b = buf[at + i]
    if (b === undefined) return null
    value |= (b & 0x7f) << (7 * i)
    if (!(b & 0x80)) return [value | 0, at + i + 1]
  }
  throw new Error('bad VarInt')
}

function frame(id: number, data: number[]): Buffer {
  const body = [...varInt(id), ...data]
  return Buffer.from([...varInt(body.length), ...body])
}

export async function startFakeSlpServer(options: FakeSlpOptions) {
  const handshakes: Handshake[] = []
  const sockets = new Set<Socket>()
  const send = async (socket: Socket, bytes: Buffer) => {
    if (!options.fragment) return void socket.write(bytes)
    for (const byte of bytes) {
      socket.write(Buffer.from([byte]))
      await new Promise((r) => setImmediate(r))
    }
  }
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => undefined)
    let buf = Buffer.alloc(0)
    socket.on('data', async (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      for (;;) {
        const len = readVarInt(buf, 0)
        if (!len || buf.length < len[1] + len[0]) return
        const packet = buf.subarray(len[1], len[1] + len[0])
        buf = buf.subarray(len[1] + len[0])
        const [id, at] = readVarInt(packet, 0)!
        if (options.pong === 'silent') continue
        if (id === 0 && packet.length > 1) {
          const [protocol, a1] = readVarInt(packet, at)!
          const [hostLen, a2] = readVarInt(packet, a1)!
          const host = packet.subarray(a2, a2 + hostLen).toString('utf8')
          const port = packet.readUInt16BE(a2 + hostLen)
          const [nextState] = readVarInt(packet, a2 + hostLen + 2)!
          handshakes.push({ protocol, host, port, nextState })
        } else if (id === 0) {
          const text =
            typeof options.status === 'string' ? options.status : JSON.stringify(options.status)
          const json = Buffer.from(text, 'utf8')
          await send(socket, frame(0, [...varInt(json.length), ...json]))
        } else if (id === 1) {
          if (options.pong === 'close') socket.end()
          else await send(socket, frame(1, [...packet.subarray(at)]))
        }
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no address')
  return {
    port: address.port,
    handshakes,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
