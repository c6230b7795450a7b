import type { GameModule } from '../../../core/games/types'
import type { JobAssignment } from '../../../core/protocol'
import { rconCommands } from './rcon'

/**
 * A change of the player lists alone, applied through the game's console after the playbook
 * wrote the files without a restart: the whitelist reloaded from its file, each operator added
 * (`op`) or removed (`deop`). Every command is the game's own around a name checked twice (by
 * the API's plan and here); a failure says why, and the caller restarts the game instead.
 */

/** The playbook's extra vars for a live change, or none when this job is not one. */
export function liveVars(game: GameModule, job: JobAssignment): Record<string, boolean> {
  const lists = game.console?.liveLists
  return lists && job.kind === 'change' && job.change?.players ? { [lists.vars.live]: true } : {}
}

/** The same vars asking for a restart: the console could not apply the lists. */
export function restartVars(game: GameModule): Record<string, boolean> {
  const lists = game.console?.liveLists
  return lists ? { [lists.vars.restart]: true } : {}
}

/** The commands, in order, or why there are none to send. */
export function liveCommands(
  game: GameModule,
  players: { op: string[]; deop: string[] },
): { ok: true; commands: string[] } | { ok: false; why: string } {
  const console_ = game.console
  const lists = console_?.liveLists
  if (!console_ || !lists) return { ok: false, why: `${game.name} has no console` }
  const bad = [...players.op, ...players.deop].find((n) => !console_.playerName.test(n))
  if (bad !== undefined) return { ok: false, why: `"${bad.slice(0, 40)}" is not a player name` }
  return {
    ok: true,
    commands: [
      lists.reload,
      ...players.op.map((n) => console_.command('op', n)),
      ...players.deop.map((n) => console_.command('deop', n)),
    ],
  }
}

/** Send the commands; the answers go to the log. Resolves with why it failed, or null. */
export async function applyPlayersLive(
  game: GameModule,
  job: JobAssignment,
  ctx: { log: (line: string) => void; signal: AbortSignal },
): Promise<string | null> {
  const players = job.change?.players
  if (!players) return 'this change is not a live one'
  const planned = liveCommands(game, players)
  if (!planned.ok) return planned.why
  const lists = game.console!.liveLists!
  const endpoint = game.console!.endpoint(job.spec.gameConfig as never)
  const password = endpoint ? job.gameSecrets[endpoint.secret] : undefined
  if (!endpoint || !password) return 'the console is off or its password is unknown'
  const target = { host: job.spec.ipAddress, port: endpoint.port, password }
  let answers: string[]
  try {
    answers = await rconCommands(target, planned.commands, { signal: ctx.signal })
  } catch (err) {
    return err instanceof Error ? err.message : String(err)
  }
  for (const [i, command] of planned.commands.entries()) {
    const answer = (answers[i] ?? '').slice(0, 200)
    if (lists.refused.test(answer)) return `"${command}" was refused: ${answer}`
    ctx.log(`applied live: ${command}${answer ? ` (${answer})` : ''}`)
  }
  return null
}
