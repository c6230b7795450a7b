import type { JobAssignment } from '../../../core/protocol'
import { sleep } from '../proxmox/wait'
import { rconCommands } from './rcon'

/**
 * Step warn_players of a stop or restart: a scheduled one tells the players in the game (`say`
 * through the console) 10 minutes, 1 minute and 10 seconds before the VM stops; one asked from the
 * dashboard, or a game without a console, goes on at once and says so. The texts are the
 * product's own (core/deployment/schedules.ts), never user text.
 */
export async function warnPlayers(
  job: JobAssignment,
  ctx: { log: (line: string) => void; signal: AbortSignal },
): Promise<void> {
  const warnings = [...(job.power?.warnings ?? [])].sort((a, b) => b.beforeMs - a.beforeMs)
  if (warnings.length === 0) return ctx.log('asked from the dashboard: no warning to send')
  const config = job.spec.gameConfig
  const password = job.gameSecrets.rconPassword
  if (job.spec.game !== 'minecraft' || config.rconEnabled !== true || !password) {
    return ctx.log('this server has no console to warn its players through: going on now')
  }
  const port = typeof config.rconPort === 'number' ? config.rconPort : 25_575
  const target = { host: job.spec.ipAddress, port, password }
  const start = Date.now()
  const total = warnings[0]!.beforeMs
  for (const w of warnings) {
    const wait = start + (total - w.beforeMs) - Date.now()
    if (wait > 0) await sleep(wait, ctx.signal)
    try {
      await rconCommands(target, [`say ${w.text}`], ctx)
      ctx.log(`players warned: ${w.text}`)
    } catch (err) {
      // A game that does not answer is stopped anyway: the warning is a courtesy.
      ctx.log(`could not warn the players (${err instanceof Error ? err.message : String(err)})`)
    }
  }
  const last = warnings.at(-1)!.beforeMs
  if (last > 0) await sleep(last, ctx.signal)
}
