import { createHash } from 'node:crypto'
import net from 'node:net'
import { decodeRcon, encodeRcon } from '../../runner/src/games/rcon'

/** What a simulated Minecraft server's world is doing, as its RCON console changed it. */
export interface SimWorld {
  /** Whether automatic saving is on (`save-off` turns it off, `save-on` back on). */
  saving: boolean
  /** How many times the world was flushed to disk (`save-all`). */
  flushes: number
  /** Every command received, in order (never the password). */
  commands: string[]
}

const AUTH = 3
const EXEC = 2
const RESPONSE = 0

/** Minecraft's answers to the commands the product sends. */
function answer(world: SimWorld, command: string): string {
  const [name, ...args] = command.trim().split(/\s+/)
  switch (name) {
    case 'save-off':
      if (!world.saving) return 'Saving is already turned off'
      world.saving = false
      return 'Automatic saving is now disabled'
    case 'save-on':
      if (world.saving) return 'Saving is already turned on'
      world.saving = true
      return 'Automatic saving is now enabled'
    case 'save-all':
      world.flushes += 1
      return args[0] === 'flush'
        ? 'Saving the game (this may take a moment!)Saved the game'
        : 'Saving the game (this may take a moment!)'
    case 'say':
      // Broadcast to the players as "[Rcon] …"; the console itself gets no answer.
      return ''
    case 'list':
      return 'There are 0 of a max of 20 players online: '
    default:
      return `Unknown or incomplete command, see below for error${command}<--[HERE]`
  }
}

/**
 * A simulated guest's RCON console (Minecraft's `enable-rcon`), on the VM's loopback address:
 * password check (against the configured password's digest), then commands answered as Minecraft
 * does. Never binds outside 127.0.0.0/8.
 */
export function listenRcon(
  address: string,
  port: number,
  passwordSha256: string,
  world: SimWorld,
  onError: (err: Error) => void,
): net.Server {
  if (!address.startsWith('127.')) throw new Error(`refusing to bind ${address}: not loopback`)
  const open = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    open.add(socket)
    socket.on('close', () => open.delete(socket))
    let buf: Buffer = Buffer.alloc(0)
    let authed = false
    socket.on('error', () => socket.destroy())
    socket.setTimeout(30_000, () => socket.destroy())
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      let decoded
      try {
        decoded = decodeRcon(buf)
      } catch {
        socket.destroy()
        return
      }
      buf = decoded.rest
      for (const p of decoded.packets) {
        if (p.type === AUTH) {
          const given = createHash('sha256').update(p.body).digest('hex')
          authed = passwordSha256 !== '' && given === passwordSha256
          socket.write(encodeRcon(authed ? p.id : -1, EXEC, ''))
        } else if (p.type === EXEC && authed) {
          world.commands.push(p.body)
          socket.write(encodeRcon(p.id, RESPONSE, answer(world, p.body)))
        } else socket.destroy()
      }
    })
  })
  server.on('error', onError)
  server.listen(port, address)
  // A stopping guest drops its console's connections, as a dying server does.
  const close = server.close.bind(server)
  server.close = (cb) => {
    for (const socket of open) socket.destroy()
    return close(cb)
  }
  return server
}
