import type { ConnectionCheck } from '../../../core/protocol'
import type { ProxmoxConnection } from '../../../core/settings'
import { frame } from '../stubs'
import { logRefused, type RunnerSockets } from './sockets'

const TEST_TIMEOUT_MS = 60_000

/**
 * Requests the hub sends a runner and the replies it waits for (test connection, orphan destroy),
 * by request id, with the runner asked: a reply from any other runner is ignored. A waiting
 * request keeps the hub awake, so the map never has to outlive a hibernation.
 */
export class RunnerRequests {
  private readonly waiting = new Map<
    string,
    { runnerId: string; resolve: (reply: unknown) => void }
  >()

  constructor(private readonly sockets: RunnerSockets) {}

  /**
   * Send a runner a request (`build` gets its id) and wait for the reply with that id, or
   * `onTimeout()` after `timeoutMs`. Rejects if the send itself fails.
   */
  ask<T>(
    ws: WebSocket,
    build: (requestId: string) => string,
    timeoutMs: number,
    onTimeout: () => T,
  ): Promise<T> {
    const requestId = crypto.randomUUID()
    const runnerId = this.sockets.identity(ws)?.runnerId ?? ''
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(requestId)
        resolve(onTimeout())
      }, timeoutMs)
      this.waiting.set(requestId, {
        runnerId,
        resolve: (reply) => {
          clearTimeout(timer)
          this.waiting.delete(requestId)
          resolve(reply as T)
        },
      })
      try {
        ws.send(build(requestId))
      } catch (err) {
        clearTimeout(timer)
        this.waiting.delete(requestId)
        reject(err instanceof Error ? err : new Error(String(err)))
      }
    })
  }

  /** Hand a runner's reply to the request waiting for it, if that runner was the one asked. */
  reply(runnerId: string, requestId: string, value: unknown): void {
    const waiting = this.waiting.get(requestId)
    if (!waiting) return
    if (waiting.runnerId !== runnerId) {
      logRefused(runnerId, 'reply', 'the request was sent to another runner', { requestId })
      return
    }
    waiting.resolve(value)
  }

  /** Run "test connection" on an online runner; null when none is online. */
  async testConnection(
    proxmox: ProxmoxConnection,
  ): Promise<{ runnerId: string; name: string; checks: ConnectionCheck[] } | null> {
    const runner = this.sockets.ready()[0]
    if (!runner) return null
    const checks = await this.ask<ConnectionCheck[]>(
      runner.ws,
      (requestId) => frame({ type: 'test.request', requestId, proxmox }),
      TEST_TIMEOUT_MS,
      () => [
        {
          name: 'runner',
          ok: false,
          message: `The runner ${runner.att.name} did not answer within ${TEST_TIMEOUT_MS / 1000} s.`,
          fix: 'Check the runner’s logs (journalctl -u pgd-runner) and its network path to Proxmox.',
        },
      ],
    )
    return { runnerId: runner.att.runnerId, name: runner.att.name, checks }
  }
}
