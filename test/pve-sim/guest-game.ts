import {
  SIMULATED_PROVISION_FILE,
  type SimulatedProvision,
} from '../../runner/src/executors/simulated-provision'
import { simulatedValheim, type A2sInfo, type SlpAnswer } from './game-responder'

/**
 * What a simulated guest's game answers, from what the runner's simulated provisioner wrote into
 * it (the vars the game's playbook would have got): the simulated counterpart of the playbooks'
 * "write the configuration, start the service". So a deployment shows what it asked for, and a
 * vars bug shows up as a verify failure in the demo, as it would on a real VM.
 */
export type GuestGame =
  | {
      kind: 'minecraft'
      port: number
      answer: SlpAnswer
      /** Its RCON console, when the role enabled it: the port and the password's SHA-256. */
      rcon: { port: number; passwordSha256: string } | null
      /** whitelist.json and ops.json as the role wrote them (the players' names). */
      players: PlayerFiles
    }
  | { kind: 'valheim'; queryPort: number; info: A2sInfo }

export { SIMULATED_PROVISION_FILE }

/** The names in a guest's whitelist.json and ops.json. */
export interface PlayerFiles {
  whitelist: string[]
  ops: string[]
}

/** The role's vars that only write the player files (and how the role treats them). */
const PLAYER_VARS = [
  'minecraft_whitelist',
  'minecraft_ops',
  'minecraft_players_live',
  'minecraft_restart_requested',
]

const namesOf = (v: unknown): string[] =>
  Array.isArray(v)
    ? v.flatMap((e: unknown) =>
        typeof e === 'object' && e !== null && 'name' in e && typeof e.name === 'string'
          ? [e.name]
          : [],
      )
    : []

function parse(content: string): SimulatedProvision | null {
  try {
    return JSON.parse(content) as SimulatedProvision
  } catch {
    return null
  }
}

/**
 * The role's handler, as the simulated guest plays it: a rewrite that moves only the player
 * files, run with `minecraft_players_live` (and no `minecraft_restart_requested`), leaves the
 * game running; the new files are returned. Anything else restarts the game (null).
 */
export function liveRewrite(before: string | undefined, after: string): PlayerFiles | null {
  const a = before === undefined ? null : parse(before)
  const b = parse(after)
  if (!a || !b || a.game !== 'minecraft' || b.game !== 'minecraft') return null
  if (b.vars.minecraft_players_live !== true || b.vars.minecraft_restart_requested === true)
    return null
  const rest = (p: SimulatedProvision) =>
    JSON.stringify({
      ...p,
      vars: Object.fromEntries(Object.entries(p.vars).filter(([k]) => !PLAYER_VARS.includes(k))),
    })
  if (rest(a) !== rest(b)) return null
  return { whitelist: namesOf(b.vars.minecraft_whitelist), ops: namesOf(b.vars.minecraft_ops) }
}

const str = (v: unknown, fallback: string): string => (typeof v === 'string' ? v : fallback)
const num = (v: unknown, fallback: number): number => {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN
  return Number.isInteger(n) ? n : fallback
}

/** The game a guest runs after provisioning, or null when the file says nothing we know. */
export function guestGameOf(content: string): GuestGame | null {
  const parsed = parse(content)
  if (!parsed) return null
  const v = parsed.vars ?? {}
  switch (parsed.game) {
    case 'minecraft': {
      // The role writes minecraft_properties into server.properties key by key.
      const props = (v.minecraft_properties ?? {}) as Record<string, unknown>
      const version = str(v.minecraft_version, 'unknown')
      return {
        kind: 'minecraft',
        port: num(v.minecraft_server_port, 25_565),
        answer: {
          motd: str(props.motd, 'A Minecraft Server'),
          maxPlayers: num(props['max-players'], 20),
          version: v.minecraft_edition === 'paper' ? `Paper ${version}` : version,
        },
        rcon:
          v.minecraft_rcon_enabled === true
            ? {
                port: num(v.minecraft_rcon_port, 25_575),
                passwordSha256: parsed.secretDigests?.minecraft_rcon_password ?? '',
              }
            : null,
        players: {
          whitelist: namesOf(v.minecraft_whitelist),
          ops: namesOf(v.minecraft_ops),
        },
      }
    }
    case 'valheim': {
      const port = num(v.valheim_port, 2456)
      return {
        kind: 'valheim',
        queryPort: port + 1,
        info: simulatedValheim(str(v.valheim_server_name, 'Valheim'), port),
      }
    }
    default:
      return null
  }
}
