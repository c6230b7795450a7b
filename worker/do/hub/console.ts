import {
  CONSOLE_ANSWER_MAX,
  CONSOLE_HISTORY_MAX,
  type ConsoleEntry,
  type ConsoleErrorCode,
} from '../../../core/console'
import { getGame } from '../../../core/games'
import { encodeHubToRunner } from '../../../core/protocol'
import { deploymentById, sealedGameSecretsOf, storedInputs } from '../../db/deployments'
import { openInputs } from '../../lib/game-secrets'
import type { RunnerRequests } from './requests'
import type { ReadyRunner, RunnerSockets } from './sockets'

/** A console command: the runner's RCON connection gives up after 10 s. */
export const CONSOLE_TIMEOUT_MS = 15_000

const historyKey = (deploymentId: string) => `console:${deploymentId}`

/**
 * The runner that works for a deployment: the one that last held one of its jobs, if it is
 * online (it reached the VM before), else any online runner.
 */
export function runnerFor(sockets: RunnerSockets, lastRunnerId: string | null): ReadyRunner | null {
  const ready = sockets.ready()
  return ready.find((r) => r.att.runnerId === lastRunnerId) ?? ready[0] ?? null
}

/**
 * A deployment's game console, through a runner: the hub opens the deployment's sealed secrets
 * for the console's password (as it does for a job's assignment) and hands it to the runner with
 * the command, so the password goes no further than this object and the runner. Every command
 * and its outcome is kept in the deployment's recent history, in the hub's storage.
 */
export class ConsoleRequests {
  constructor(
    private readonly ctx: DurableObjectState,
    private readonly env: Env,
    private readonly sockets: RunnerSockets,
    private readonly requests: RunnerRequests,
  ) {}

  async run(deploymentId: string, command: string, by: string): Promise<ConsoleEntry> {
    const at = Date.now()
    const outcome = await this.send(deploymentId, command)
    const entry: ConsoleEntry = { at, by, command, ...outcome }
    const history = await this.history(deploymentId)
    history.push(entry)
    await this.ctx.storage.put(historyKey(deploymentId), history.slice(-CONSOLE_HISTORY_MAX))
    return entry
  }

  async history(deploymentId: string): Promise<ConsoleEntry[]> {
    return (await this.ctx.storage.get<ConsoleEntry[]>(historyKey(deploymentId))) ?? []
  }

  /** The deployment is gone: its history goes too. */
  async forget(deploymentId: string): Promise<void> {
    await this.ctx.storage.delete(historyKey(deploymentId))
  }

  private async send(
    deploymentId: string,
    command: string,
  ): Promise<Pick<ConsoleEntry, 'answer' | 'error'>> {
    const fail = (code: ConsoleErrorCode, message: string) => ({
      answer: null,
      error: { code, message },
    })
    const row = await deploymentById(this.env.DB, deploymentId)
    if (!row) return fail('failed', 'The deployment is gone.')
    const { spec } = storedInputs(row)
    const sealed = await sealedGameSecretsOf(this.env.DB, deploymentId)
    const { gameConfig, gameSecrets } = await openInputs(this.env, spec.game, {
      spec,
      gameSecretsEnc: sealed ?? null,
    })
    const game = getGame(spec.game)
    const config = game?.configSchema.safeParse(gameConfig)
    const endpoint = config?.success ? (game?.console?.endpoint(config.data) ?? null) : null
    if (!endpoint) return fail('failed', 'This server has no console.')
    const password = gameSecrets[endpoint.secret]
    if (!password) return fail('failed', 'The console’s password was never generated.')
    const runner = runnerFor(this.sockets, row.runnerId)
    if (!runner) return fail('no_runner', 'No runner is online to reach the server.')
    const name = runner.att.name
    try {
      const reply = await this.requests.ask<{
        answer: string | null
        error?: { code: ConsoleErrorCode; message: string }
      }>(
        runner.ws,
        (requestId) =>
          encodeHubToRunner({
            type: 'console.request',
            requestId,
            target: { host: spec.ipAddress, port: endpoint.port, password },
            command,
          }),
        CONSOLE_TIMEOUT_MS,
        () => ({
          answer: null,
          error: {
            code: 'runner_timeout',
            message: `The runner ${name} did not answer within ${CONSOLE_TIMEOUT_MS / 1000} s.`,
          },
        }),
      )
      if (reply.error) return { answer: null, error: reply.error }
      return { answer: (reply.answer ?? '').slice(0, CONSOLE_ANSWER_MAX), error: null }
    } catch (err) {
      return fail('no_runner', `Cannot ask the runner ${name}: ${String(err)}`)
    }
  }
}
