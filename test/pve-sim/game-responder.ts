import net from 'node:net'
import { encodeVarInt, framePacket, readPackets } from '../../runner/src/minecraft/slp-codec'

/**
 * A simulated guest's game: a Minecraft server that answers the Server List Ping (status + ping)
 * on the VM's loopback address, so the runner's real verify step has something to check in the
 * demo and the benchmarks. Never binds anything outside 127.0.0.0/8.
 */
export function listenMinecraft(
  address: string,
  port: number,
  motd: string,
  onError: (err: Error) => void,
): net.Server {
  if (!address.startsWith('127.')) throw new Error(`refusing to bind ${address}: not loopback`)
  const status = JSON.stringify({
    version: { name: '1.21.5 (simulated)', protocol: 770 },
    players: { max: 20, online: 0 },
    description: { text: motd },
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
