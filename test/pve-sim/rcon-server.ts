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
  /** Players on the whitelist and the operators, as the server holds them in memory. */
  whitelist: string[]
  ops: string[]
  /**
   * whitelist.json and ops.json on the guest's disk: written by provisioning, read at start (and
   * the whitelist by `whitelist reload`), rewritten by the server when the console changes a list.
   */
  files: { whitelist: string[]; ops: string[] }
  /** How many times the game started (a restart counts one). */
  starts: number
  /** A fault for tests: the console accepts connections and drops each command. */
  consoleBroken: boolean
}

/** The world a new server starts with. */
export function newWorld(): SimWorld {
  return {
    saving: true,
    flushes: 0,
    commands: [],
    whitelist: [],
    ops: [],
    files: { whitelist: [], ops: [] },
    starts: 0,
    consoleBroken: false,
  }
}

/** The server reads its player files at start, as vanilla does. */
export function loadPlayerFiles(world: SimWorld): void {
  world.whitelist = [...world.files.whitelist]
  world.ops = [...world.files.ops]
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
    case 'whitelist':
      if (args[0] === 'reload' && args.length === 1) {
        world.whitelist = [...world.files.whitelist]
        return 'Reloaded the whitelist'
      }
      return listCommand(world.whitelist, args, {
        add: (p) => `Added ${p} to the whitelist`,
        addAgain: 'Player is already whitelisted',
        remove: (p) => `Removed ${p} from the whitelist`,
        removeAgain: 'Player is not whitelisted',
      })
    case 'op':
      return listCommand(world.ops, ['add', ...args], {
        add: (p) => `Made ${p} a server operator`,
        addAgain: 'Nothing changed. The player already is an operator',
        remove: () => '',
        removeAgain: '',
      })
    case 'deop':
      return listCommand(world.ops, ['remove', ...args], {
        add: () => '',
        addAgain: '',
        remove: (p) => `Made ${p} no longer a server operator`,
        removeAgain: 'Nothing changed. The player is not an operator',
      })
    default:
      return `Unknown or incomplete command, see below for error${command}<--[HERE]`
  }
}

/** `whitelist add|remove <player>` and friends, on one of the world's lists. */
function listCommand(
  list: string[],
  [verb, player]: string[],
  words: {
    add: (p: string) => string
    addAgain: string
    remove: (p: string) => string
    removeAgain: string
  },
): string {
  if (!player || (verb !== 'add' && verb !== 'remove')) return 'Unknown or incomplete command'
  const at = list.findIndex((p) => p.toLowerCase() === player.toLowerCase())
  if (verb === 'add') {
    if (at >= 0) return words.addAgain
    list.push(player)
    return words.add(player)
  }
  if (at < 0) return words.removeAgain
  list.splice(at, 1)
  return words.remove(player)
}

/** What the server's own log says about a console command and its answer. */
function logLineOf(command: string, answer: string): string {
  if (command.startsWith('say ')) return `[Server thread/INFO]: [Rcon] ${command.slice(4)}`
  return `[Server thread/INFO]: [Rcon: ${answer}]`
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
  /** The game's log (its journal), as Minecraft writes console commands into it. */
  log: (line: string) => void = () => {},
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
          if (world.consoleBroken) return void socket.destroy()
          const said = answer(world, p.body)
          // The server saves a list the console changed.
          world.files = { whitelist: [...world.whitelist], ops: [...world.ops] }
          log(logLineOf(p.body, said))
          socket.write(encodeRcon(p.id, RESPONSE, said))
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
