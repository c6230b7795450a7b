import type { GameProbe, WatchTarget } from '../../../core/protocol'
import { answerFacts, runHealthCheck } from './health-check'

/** One live check of a game should not hold the refresh round up for long. */
const PROBE_TIMEOUT_MS = 5_000

/**
 * The live status's game half: the game's own health check (the one verify ran, as the hub sent
 * it), asking only that it answers — the admin may have changed the MOTD or the slots in-game
 * since.
 */
export async function probeGame(target: WatchTarget, signal: AbortSignal): Promise<GameProbe> {
  let check = target.check
  if (!check)
    return { online: false, error: `the stored config of this ${target.game} server is not valid` }
  check =
    check.kind === 'minecraft-slp' || check.kind === 'steam-a2s'
      ? { ...check, expect: {}, timeoutMs: Math.min(check.timeoutMs, PROBE_TIMEOUT_MS) }
      : { ...check, timeoutMs: Math.min(check.timeoutMs, PROBE_TIMEOUT_MS) }
  const result = await runHealthCheck(
    check,
    target.ipAddress,
    AbortSignal.any([signal, AbortSignal.timeout(PROBE_TIMEOUT_MS + 1_000)]),
  )
  if (!result.ok) return { online: false, error: result.error.slice(0, 1000) }
  const facts = answerFacts(result)
  // A Steam server's name stands where Minecraft's MOTD does.
  const motd = facts.motd ?? facts.name
  return {
    online: true,
    latencyMs: facts.latencyMs,
    ...(facts.version !== undefined ? { version: facts.version.slice(0, 256) } : {}),
    ...(motd !== undefined ? { motd: motd.slice(0, 1024) } : {}),
    ...(facts.players ? { players: facts.players } : {}),
  }
}
