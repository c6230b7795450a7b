import { randomBytes } from 'node:crypto'
import dgram from 'node:dgram'
import net from 'node:net'
import { encodeVarInt, framePacket, readPackets } from '../../runner/src/games/slp-codec'

/** What a simulated Minecraft server says in its status answer. */
export interface SlpAnswer {
  motd: string
  maxPlayers: number
  /** `version.name`: the release id for vanilla, `Paper <id>` for Paper. */
  version: string
}

/**
 * A simulated guest's game: a Minecraft server that answers the Server List Ping (status + ping)
 * on the VM's loopback address, so the runner's real verify step has something to check in the
 * demo and the benchmarks. Never binds anything outside 127.0.0.0/8.
 */
export function listenMinecraft(
  address: string,
  port: number,
  answer: string | SlpAnswer,
  onError: (err: Error) => void,
): net.Server {
  if (!address.startsWith('127.')) throw new Error(`refusing to bind ${address}: not loopback`)
  const a: SlpAnswer =
    typeof answer === 'string'
      ? { motd: answer, maxPlayers: 20, version: '1.21.5 (simulated)' }
      : answer
  const status = JSON.stringify({
    version: { name: a.version, protocol: 770 },
    players: { max: a.maxPlayers, online: 0 },
    description: { text: a.motd },
  })
  const statusJson = Buffer.from(status, 'utf8')
  const server = net.createServer((socket) => {
    let buf: Buffer = Buffer.alloc(0)
    let handshaken = false
    socket.on('error', () => socket.destroy())
    socket.setTimeout(10_000, () => socket.destroy())
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      let parsed
      try {
        parsed = readPackets(buf)
      } catch {
        socket.destroy()
        return
      }
      buf = parsed.rest
      for (const packet of parsed.packets) {
        if (packet.id === 0 && !handshaken) handshaken = true
        else if (packet.id === 0) {
          socket.write(framePacket(0, Buffer.concat([encodeVarInt(statusJson.length), statusJson])))
        } else if (packet.id === 1) {
          socket.end(framePacket(1, packet.data))
        }
      }
    })
  })
  server.on('error', onError)
  server.listen(port, address)
  return server
}

/** What a simulated Valheim server announces in its A2S_INFO reply. */
export interface A2sInfo {
  name: string
  map: string
  players: number
  maxPlayers: number
  /** Game version, e.g. `0.220.5`. */
  version: string
  /** Valheim dedicated servers always want a password. */
  passworded: boolean
  /** The game's app id (Valheim: 892970), carried in full in the extra data's game id. */
  appId: number
  /** The game port players connect to (the query port is this + 1). */
  gamePort: number
}

/** What the simulator's guests announce: a fresh, empty, passworded server. */
export function simulatedValheim(name: string, gamePort: number): A2sInfo {
  return {
    name,
    map: 'Dedicated',
    players: 0,
    maxPlayers: 10,
    version: '0.220.5 (simulated)',
    passworded: true,
    appId: 892_970,
    gamePort,
  }
}

const A2S_HEADER = Buffer.from([0xff, 0xff, 0xff, 0xff])
const A2S_INFO = 0x54
const S2C_CHALLENGE = 0x41
const S2A_INFO = 0x49
const A2S_INFO_BODY = Buffer.from('Source Engine Query\0', 'latin1')

function cstring(text: string): Buffer {
  return Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from([0])])
}

/**
 * An A2S_INFO reply (S2A_INFO, 0x49) as Steam's game server library writes it
 * (https://developer.valvesoftware.com/wiki/Server_queries#Response_Format), with the extra data
 * flag for the game port and the 64-bit game id.
 */
export function a2sInfoReply(info: A2sInfo): Buffer {
  const counts = Buffer.from([
    info.players,
    info.maxPlayers,
    0, // bots
    'd'.charCodeAt(0), // dedicated
    'l'.charCodeAt(0), // Linux
    info.passworded ? 1 : 0,
    0, // VAC
  ])
  const appIdShort = Buffer.alloc(2)
  appIdShort.writeUInt16LE(info.appId & 0xffff)
  const port = Buffer.alloc(2)
  port.writeUInt16LE(info.gamePort)
  const gameId = Buffer.alloc(8)
  gameId.writeBigUInt64LE(BigInt(info.appId))
  return Buffer.concat([
    A2S_HEADER,
    Buffer.from([S2A_INFO, 17]),
    cstring(info.name),
    cstring(info.map),
    cstring('valheim'),
    cstring('Valheim'),
    appIdShort,
    counts,
    cstring(info.version),
    Buffer.from([0x80 | 0x01]), // EDF: game port, game id
    port,
    gameId,
  ])
}

/**
 * A simulated guest's Valheim server: Steam's A2S_INFO on the query port (UDP), the way Steam
 * servers answer since December 2020. A request without the right challenge gets a challenge
 * (S2C_CHALLENGE, 0x41); the request repeated with it gets the info. `challenge: false` answers
 * the info straight away, like servers did before. Anything that is not an A2S_INFO request gets
 * no answer, so a check with a wrong payload fails as it would against the real server. Never
 * binds anything outside 127.0.0.0/8.
 */
export function listenValheimQuery(
  address: string,
  port: number,
  info: A2sInfo,
  onError: (err: Error) => void,
  options: { challenge?: boolean } = {},
): dgram.Socket {
  if (!address.startsWith('127.')) throw new Error(`refusing to bind ${address}: not loopback`)
  const useChallenge = options.challenge ?? true
  const challenge = randomBytes(4)
  const socket = dgram.createSocket('udp4')
  socket.on('message', (msg, rinfo) => {
    const isInfoRequest =
      msg.length >= 5 + A2S_INFO_BODY.length &&
      msg.subarray(0, 4).equals(A2S_HEADER) &&
      msg[4] === A2S_INFO &&
      msg.subarray(5, 5 + A2S_INFO_BODY.length).equals(A2S_INFO_BODY)
    if (!isInfoRequest) return
    const given = msg.subarray(5 + A2S_INFO_BODY.length)
    const reply =
      !useChallenge || given.equals(challenge)
        ? a2sInfoReply(info)
        : Buffer.concat([A2S_HEADER, Buffer.from([S2C_CHALLENGE]), challenge])
    socket.send(reply, rinfo.port, rinfo.address)
  })
  socket.on('error', onError)
  socket.bind(port, address)
  return socket
}

/** Closes a UDP socket, also one whose bind failed and that Node already closed. */
export function closeQuietly(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve())
    } catch {
      resolve()
    }
  })
}
