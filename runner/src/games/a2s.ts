import { createSocket } from 'node:dgram'

/**
 * Steam's server query A2S_INFO (https://developer.valvesoftware.com/wiki/Server_queries), the
 * protocol the server browser uses: `FF FF FF FF 'T' "Source Engine Query\0"`. Since December
 * 2020 a server may answer with a challenge (`FF FF FF FF 'A' <4 bytes>`); the request is then
 * repeated with those 4 bytes appended. The answer (`'I'`) carries the server's name, map, game,
 * players and version.
 */

const HEADER = Buffer.from([0xff, 0xff, 0xff, 0xff])
/** The A2S_INFO request, without a challenge. */
export const A2S_INFO_REQUEST = Buffer.concat([
  HEADER,
  Buffer.from('TSource Engine Query\0', 'latin1'),
])
const S2C_CHALLENGE = 0x41
const S2A_INFO = 0x49
/** A server may answer a challenged request with yet another challenge; bounded. */
const MAX_CHALLENGES = 3

export interface A2sInfo {
  name: string
  map: string
  folder: string
  game: string
  appId: number
  players: number
  maxPlayers: number
  bots: number
  version: string
  latencyMs: number
}

/** Parse an S2A_INFO reply; throws with what is wrong. */
export function parseA2sInfo(msg: Buffer): Omit<A2sInfo, 'latencyMs'> {
  let at = 0
  const need = (n: number, what: string) => {
    if (at + n > msg.length) throw new Error(`A2S_INFO reply cut short before ${what}`)
  }
  const byte = (what: string) => {
    need(1, what)
    return msg[at++] ?? 0
  }
  const cstring = (what: string) => {
    const end = msg.indexOf(0, at)
    if (end < 0) throw new Error(`A2S_INFO reply cut short in ${what}`)
    const text = msg.toString('utf8', at, end)
    at = end + 1
    return text
  }
  need(4, 'the header')
  if (!msg.subarray(0, 4).equals(HEADER)) throw new Error('not a Steam query reply')
  at = 4
  const type = byte('the type')
  if (type !== S2A_INFO)
    throw new Error(`expected an A2S_INFO reply (0x49), got 0x${type.toString(16)}`)
  byte('the protocol')
  const name = cstring('the name')
  const map = cstring('the map')
  const folder = cstring('the folder')
  const game = cstring('the game')
  need(2, 'the app id')
  const appId = msg.readUInt16LE(at)
  at += 2
  const players = byte('the player count')
  const maxPlayers = byte('the player limit')
  const bots = byte('the bot count')
  at += 4 // server type, environment, visibility, VAC
  need(0, 'the version')
  const version = cstring('the version')
  return { name, map, folder, game, appId, players, maxPlayers, bots, version }
}

/**
 * Ask `host:port` for its A2S_INFO, following challenges. Rejects with a message that says why.
 * The socket is connected to `host:port`, so the kernel hands it only that address's datagrams:
 * a reply forged by another sender on the network is never read.
 */
export function queryA2sInfo(options: {
  host: string
  port: number
  timeoutMs: number
  signal?: AbortSignal
}): Promise<A2sInfo> {
  const { host, port, timeoutMs, signal } = options
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4')
    let challenges = 0
    let settled = false
    const finish = (err: Error | null, info?: A2sInfo) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      socket.close()
      if (err) reject(err)
      else if (info) resolve(info)
    }
    const onAbort = () => finish(new Error('A2S query aborted'))
    const timer = setTimeout(
      () => finish(new Error(`no A2S_INFO answer from ${host}:${port}/udp within ${timeoutMs} ms`)),
      timeoutMs,
    )
    signal?.addEventListener('abort', onAbort, { once: true })
    socket.on('error', (err: NodeJS.ErrnoException) =>
      finish(
        new Error(
          err.code === 'ECONNREFUSED'
            ? `nothing answers on ${host}:${port}/udp (port unreachable)`
            : `cannot query ${host}:${port}/udp: ${err.code ?? err.message}`,
        ),
      ),
    )
    socket.on('message', (msg) => {
      if (msg.length >= 9 && msg.subarray(0, 4).equals(HEADER) && msg[4] === S2C_CHALLENGE) {
        if (++challenges > MAX_CHALLENGES) {
          finish(new Error(`${host}:${port} keeps answering with challenges`))
          return
        }
        socket.send(Buffer.concat([A2S_INFO_REQUEST, msg.subarray(5, 9)]))
        return
      }
      try {
        finish(null, { ...parseA2sInfo(msg), latencyMs: Math.round(performance.now() - started) })
      } catch (err) {
        finish(err instanceof Error ? err : new Error(String(err)))
      }
    })
    socket.connect(port, host, () => {
      if (!settled) socket.send(A2S_INFO_REQUEST)
    })
  })
}
