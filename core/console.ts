import * as z from 'zod'
import { QUICK_ACTIONS, type GameModule, type QuickAction } from './games'

/**
 * The console of a deployed game and its server log, as the API takes and answers them. A
 * command reaches the game only through here: the free command line (one line, bounded) or a
 * quick action whose one argument was checked first (a player name, or a chat message).
 */

/** The free command line's limit (Minecraft's chat and command box takes 256 characters). */
export const CONSOLE_COMMAND_MAX = 256
/** A `say` message's limit: it goes into a command too. */
export const CONSOLE_MESSAGE_MAX = 200
/** Commands kept in a deployment's console history. */
export const CONSOLE_HISTORY_MAX = 50
/** An answer longer than this is cut (Minecraft answers at most 4,096 bytes per packet). */
export const CONSOLE_ANSWER_MAX = 4_096
/** How many journal lines the server log shows on open, by default and at most. */
export const SERVER_LOG_LINES_DEFAULT = 200
export const SERVER_LOG_LINES_MAX = 2_000

/** No control characters (a newline would be a second command), nothing but one line. */
const ONE_LINE = /^[^\p{Cc}]*$/u

export const ConsoleCommand = z.object({
  command: z
    .string()
    .trim()
    .min(1, 'Type a command.')
    .max(CONSOLE_COMMAND_MAX, `At most ${CONSOLE_COMMAND_MAX} characters.`)
    .regex(ONE_LINE, 'One line, without control characters.'),
})

export const ConsoleQuickAction = z.object({
  action: z.enum(QUICK_ACTIONS),
  /** A player name (whitelist, op, deop) or a message (say); nothing for `list`. */
  arg: z.string().max(CONSOLE_MESSAGE_MAX).optional(),
})

/** Either the free command line or a quick action. */
export const ConsoleRequest = z.union([ConsoleCommand, ConsoleQuickAction])
export type ConsoleRequest = z.infer<typeof ConsoleRequest>

/** What the console route answers for one command. */
export interface ConsoleEntry {
  at: number
  by: string
  command: string
  /** The game's answer, or null when it gave none (see `error`). */
  answer: string | null
  error: { code: ConsoleErrorCode; message: string } | null
}

/** Why a command got no answer; the dashboard words each in every language. */
export type ConsoleErrorCode =
  'no_runner' | 'runner_timeout' | 'unreachable' | 'refused' | 'no_answer' | 'failed'

const PLAYER_ACTIONS: readonly QuickAction[] = ['whitelist_add', 'whitelist_remove', 'op', 'deop']

/**
 * The command a request sends to `game`'s console, or why it is refused (`field`: what to fix).
 * The game must have a console (the caller checked).
 */
export function consoleCommandOf(
  game: GameModule,
  request: ConsoleRequest,
): { ok: true; command: string } | { ok: false; field: string; message: string } {
  const console_ = game.console
  if (!console_) return { ok: false, field: 'command', message: `${game.name} has no console.` }
  if ('command' in request) return { ok: true, command: request.command }
  const arg = (request.arg ?? '').trim()
  if (request.action === 'list') return { ok: true, command: console_.command('list', '') }
  if (request.action === 'say') {
    if (arg === '' || !ONE_LINE.test(arg)) {
      return { ok: false, field: 'arg', message: 'Type a message on one line.' }
    }
    return { ok: true, command: console_.command('say', arg) }
  }
  if (PLAYER_ACTIONS.includes(request.action) && !console_.playerName.test(arg)) {
    return {
      ok: false,
      field: 'arg',
      message: `"${arg.slice(0, 40)}" is not a player name (3 to 16 letters, digits or _).`,
    }
  }
  return { ok: true, command: console_.command(request.action, arg) }
}
