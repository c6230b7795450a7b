import type { BackupEntry } from '../../../core/backups'
import type { SnapshotEntry } from '../../../core/snapshots'
import type { ConnectionCheck, NodeCapacity } from '../../../core/protocol'
import type { ProxmoxConnection } from '../../../core/settings'
import { encodeHubToRunner } from '../../../core/protocol'
import { logRefused, type RunnerSockets } from './sockets'

const TEST_TIMEOUT_MS = 60_000
/** Two Proxmox GETs: a runner that takes longer is not worth holding a form or a deploy for. */
export const CAPACITY_TIMEOUT_MS = 5_000
/** Listing a storage's backups, or deleting one: a runner's Proxmox calls, a task at most. */
export const BACKUPS_TIMEOUT_MS = 90_000
/** How long a capacity answer is reused: typing in the form does not send a request per key. */
export const CAPACITY_TTL_MS = 5_000

/** The figures a runner read, or why there are none (then nothing is refused on them). */
export type CapacityAnswer =
  | { known: true; runner: string; capacity: NodeCapacity; checkedAt: number }
  | {
      known: false
      reason: 'no_runner' | 'runner_error' | 'timeout'
      runner: string | null
      message: string
      checkedAt: number
    }

/** What a backups request changes before listing: delete one, or protect/unprotect one. */
export type BackupChange = { delete?: string; protect?: { volid: string; protected: boolean } }

/** Why a runner could not give a list it was asked for. */
type ListRefusal = { ok: false; reason: 'no_runner' | 'runner_error' | 'timeout'; message: string }

/** A deployment's backups as a runner read them, or why there are none. */
export type BackupsAnswer = { ok: true; runner: string; backups: BackupEntry[] } | ListRefusal

/** A deployment's VM snapshots as a runner read them, or why there are none. */
export type SnapshotsAnswer = { ok: true; runner: string; snapshots: SnapshotEntry[] } | ListRefusal

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

  private capacityCache: { key: string; at: number; answer: Promise<CapacityAnswer> } | null = null

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
      (requestId) => encodeHubToRunner({ type: 'test.request', requestId, proxmox }),
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

  /**
   * The node's free memory and the storage's free space, read by an online runner; an answer
   * (or the request still under way) is shared for CAPACITY_TTL_MS.
   */
  capacity(proxmox: ProxmoxConnection): Promise<CapacityAnswer> {
    const key = JSON.stringify([proxmox.apiUrl, proxmox.tokenId, proxmox.node, proxmox.storage])
    const now = Date.now()
    const cached = this.capacityCache
    if (cached && cached.key === key && now - cached.at < CAPACITY_TTL_MS) return cached.answer
    const runner = this.sockets.ready()[0]
    if (!runner) {
      return Promise.resolve({
        known: false,
        reason: 'no_runner',
        runner: null,
        message: 'No runner is online to read it from.',
        checkedAt: now,
      })
    }
    const name = runner.att.name
    const answer = this.ask<CapacityAnswer>(
      runner.ws,
      (requestId) => encodeHubToRunner({ type: 'capacity.request', requestId, proxmox }),
      CAPACITY_TIMEOUT_MS,
      () => ({
        known: false,
        reason: 'timeout',
        runner: name,
        message: `The runner ${name} did not answer within ${CAPACITY_TIMEOUT_MS / 1000} s.`,
        checkedAt: Date.now(),
      }),
    ).catch((err: unknown): CapacityAnswer => ({
      known: false,
      reason: 'runner_error',
      runner: name,
      message: `Cannot ask the runner ${name}: ${err instanceof Error ? err.message : String(err)}`,
      checkedAt: Date.now(),
    }))
    this.capacityCache = { key, at: now, answer }
    return answer
  }

  /** A runner's `capacity.result`, as the answer the waiting request resolves with. */
  capacityReply(
    runner: { runnerId: string; name: string },
    requestId: string,
    result: { capacity: NodeCapacity | null; error?: string | undefined },
  ): void {
    const { runnerId, name } = runner
    const checkedAt = Date.now()
    this.reply(
      runnerId,
      requestId,
      result.capacity
        ? { known: true, runner: name, capacity: result.capacity, checkedAt }
        : {
            known: false,
            reason: 'runner_error',
            runner: name,
            message: result.error ?? 'The runner could not read it.',
            checkedAt,
          },
    )
  }

  /** A deployment's backups, read by an online runner; `change`: applied first. */
  async backups(
    proxmox: ProxmoxConnection,
    deploymentId: string,
    change: BackupChange = {},
  ): Promise<BackupsAnswer> {
    const answer = await this.listThroughRunner<BackupEntry>(
      (requestId) =>
        encodeHubToRunner({ type: 'backups.request', requestId, proxmox, deploymentId, ...change }),
      (reply) => reply.backups,
    )
    return answer.ok ? { ok: true, runner: answer.runner, backups: answer.items } : answer
  }

  /** A deployment's VM snapshots, read by an online runner; `remove`: delete that one first. */
  async snapshots(
    proxmox: ProxmoxConnection,
    deploymentId: string,
    remove?: string,
  ): Promise<SnapshotsAnswer> {
    const answer = await this.listThroughRunner<SnapshotEntry>(
      (requestId) =>
        encodeHubToRunner({
          type: 'snapshots.request',
          requestId,
          proxmox,
          deploymentId,
          ...(remove ? { delete: remove } : {}),
        }),
      (reply) => reply.snapshots,
    )
    return answer.ok ? { ok: true, runner: answer.runner, snapshots: answer.items } : answer
  }

  /**
   * A list an online runner reads from Proxmox (backups, snapshots): the first ready runner is
   * asked, and no runner, its silence or its error come back in words.
   */
  private async listThroughRunner<E>(
    build: (requestId: string) => string,
    items: (reply: { backups?: E[] | null; snapshots?: E[] | null }) => E[] | null | undefined,
  ): Promise<{ ok: true; runner: string; items: E[] } | ListRefusal> {
    const runner = this.sockets.ready()[0]
    if (!runner) {
      return { ok: false, reason: 'no_runner', message: 'No runner is online to reach Proxmox.' }
    }
    const name = runner.att.name
    const timeout = (): ListRefusal => ({
      ok: false,
      reason: 'timeout',
      message: `The runner ${name} did not answer within ${BACKUPS_TIMEOUT_MS / 1000} s.`,
    })
    try {
      const reply = await this.ask<
        { backups?: E[] | null; snapshots?: E[] | null; error?: string | undefined } | ListRefusal
      >(runner.ws, build, BACKUPS_TIMEOUT_MS, timeout)
      if ('ok' in reply) return reply
      const list = items(reply)
      if (list) return { ok: true, runner: name, items: list }
      return { ok: false, reason: 'runner_error', message: reply.error ?? 'The runner failed.' }
    } catch (err) {
      const message = `Cannot ask the runner ${name}: ${err instanceof Error ? err.message : String(err)}`
      return { ok: false, reason: 'runner_error', message }
    }
  }
}
