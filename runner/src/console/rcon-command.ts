import type { ConsoleFailure, ConsoleTarget } from '../../../core/protocol'
import { rconCommands } from '../games/rcon'

/** One console command: Minecraft answers at once, or not at all. */
const CONSOLE_TIMEOUT_MS = 10_000
/** The answer the control frame carries at most. */
const ANSWER_MAX = 8_192

/**
 * Send one command to a deployment's game console (RCON) and return its answer, or why there is
 * none in words the dashboard can name: the console unreachable, the password refused, no answer.
 * The password came with the request and is used for this connection only.
 */
export async function consoleCommand(
  target: ConsoleTarget,
  command: string,
): Promise<{ answer: string | null; error?: ConsoleFailure }> {
  try {
    const [answer] = await rconCommands(target, [command], { timeoutMs: CONSOLE_TIMEOUT_MS })
    return { answer: (answer ?? '').slice(0, ANSWER_MAX) }
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).slice(0, 1_000)
    return { answer: null, error: { code: failureCode(message), message } }
  }
}

/** rconCommands' errors name what failed; the code says which kind it was. */
function failureCode(message: string): ConsoleFailure['code'] {
  if (message.includes('refused the password')) return 'refused'
  if (message.includes('did not answer')) return 'no_answer'
  if (/ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|closed the connection/.test(message))
    return 'unreachable'
  return 'failed'
}
