import net from 'node:net'

/**
 * A Minecraft RCON client (the Source RCON protocol Minecraft speaks: little-endian int32 length,
 * request id and type, an ASCII body and two NULs; https://minecraft.wiki/w/RCON). One connection
 * per use, authenticated with the deployment's generated password, which never leaves the runner.
 */

const AUTH = 3
const EXEC = 2
/** Minecraft answers a command in one packet of at most 4,096 bytes of body. */
const MAX_PACKET = 4_096 + 14

export interface RconTarget {
  host: string
  port: number
  password: string
}

export function encodeRcon(id: number, type: number, body: string): Buffer {
  const text = Buffer.from(body, 'utf8')
  const out = Buffer.alloc(14 + text.length)
  out.writeInt32LE(10 + text.length, 0)
  out.writeInt32LE(id, 4)
  out.writeInt32LE(type, 8)
  text.copy(out, 12)
  return out
}

/** Whole packets at the start of `buf`, and what is left over. */
export function decodeRcon(buf: Buffer): {
  packets: { id: number; type: number; body: string }[]
  rest: Buffer
} {
  const packets: { id: number; type: number; body: string }[] = []
  let at = 0
  while (buf.length - at >= 4) {
    const size = buf.readInt32LE(at)
    if (size < 10 || size > MAX_PACKET) throw new Error(`RCON packet of ${size} bytes`)
    if (buf.length - at - 4 < size) break
    const id = buf.readInt32LE(at + 4)
    const type = buf.readInt32LE(at + 8)
    const body = buf.subarray(at + 12, at + 4 + size - 2).toString('utf8')
    packets.push({ id, type, body })
    at += 4 + size
  }
  return { packets, rest: buf.subarray(at) }
}

/**
 * Run commands in order on one authenticated connection; the answers, in the same order. Throws
 * a message naming what failed (refused connection, wrong password, no answer within
 * `timeoutMs`), never the password.
 */
export async function rconCommands(
  target: RconTarget,
  commands: readonly string[],
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<string[]> {
  const timeoutMs = options.timeoutMs ?? 10_000
  const where = `${target.host}:${target.port}`
  return new Promise<string[]>((resolve, reject) => {
    const socket = net.connect({ host: target.host, port: target.port })
    let buf: Buffer = Buffer.alloc(0)
    const answers: string[] = []
    let next = 0
    const finish = (err: Error | null) => {
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
      socket.destroy()
      if (err) reject(err)
      else resolve(answers)
    }
    const timer = setTimeout(
      () => finish(new Error(`RCON at ${where} did not answer within ${timeoutMs / 1000} s`)),
      timeoutMs,
    )
    const onAbort = () => finish(new Error('cancelled'))
    options.signal?.addEventListener('abort', onAbort, { once: true })
    const send = () => {
      if (next >= commands.length) return finish(null)
      next += 1
      socket.write(encodeRcon(next + 1, EXEC, commands[next - 1]!))
    }
    socket.on('connect', () => socket.write(encodeRcon(1, AUTH, target.password)))
    socket.on('error', (err) => finish(new Error(`RCON at ${where}: ${err.message}`)))
    socket.on('close', () => finish(new Error(`RCON at ${where} closed the connection`)))
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      let decoded
      try {
        decoded = decodeRcon(buf)
      } catch (err) {
        return finish(new Error(`RCON at ${where}: ${(err as Error).message}`))
      }
      buf = decoded.rest
      for (const packet of decoded.packets) {
        if (packet.id === -1) return finish(new Error(`RCON at ${where} refused the password`))
        if (packet.id === 1 && packet.type === EXEC) send()
        else if (packet.id === next + 1) {
          answers.push(packet.body)
          send()
        }
      }
    })
  })
}
