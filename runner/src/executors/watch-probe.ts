import type { LiveStatus, ProductVm, WatchTarget } from '../../../core/protocol'
import type { ProxmoxConnection } from '../../../core/settings'
import { probeGame } from '../games/probe'
import { ProxmoxClient } from '../proxmox/client'
import { isVmMissing } from '../proxmox/errors'
import { listProductVms, vmStatus } from '../proxmox/vm-common'

/** A round's connection is closed this long after its last call. */
const CLIENT_IDLE_MS = 2_000

/**
 * What the watch path needs of the real executors: a VM's power state and its game's check, and
 * the sweep's list. Kept apart from the job executors (steps, Ansible, SSH, game modules) so a
 * runner between jobs does not load them; one keep-alive client serves a whole round instead of
 * a TLS handshake per deployment.
 */
export function createWatchProbe(options: { clientIdleMs?: number } = {}) {
  const idleMs = options.clientIdleMs ?? CLIENT_IDLE_MS
  let held: { key: string; client: ProxmoxClient; idle: NodeJS.Timeout | null } | null = null
  let inFlight = 0

  async function withClient<T>(
    conn: ProxmoxConnection,
    fn: (client: ProxmoxClient) => Promise<T>,
  ): Promise<T> {
    const key = JSON.stringify(conn)
    if (held && held.key !== key) {
      // New settings (or token): the old connection goes once its calls are done.
      const old = held.client
      if (held.idle) clearTimeout(held.idle)
      if (inFlight === 0) old.close()
      else setTimeout(() => old.close(), idleMs).unref()
      held = null
    }
    held ??= { key, client: new ProxmoxClient(conn), idle: null }
    const current = held
    if (current.idle) clearTimeout(current.idle)
    current.idle = null
    inFlight++
    try {
      return await fn(current.client)
    } finally {
      inFlight--
      if (inFlight === 0 && held === current) {
        current.idle = setTimeout(() => {
          if (held === current) held = null
          current.client.close()
        }, idleMs)
        current.idle.unref()
      }
    }
  }

  return {
    async inspect(
      conn: ProxmoxConnection,
      target: WatchTarget,
      signal: AbortSignal,
    ): Promise<LiveStatus> {
      const checkedAt = Date.now()
      let power: string
      try {
        power = await withClient(conn, async (client) => {
          try {
            return (await vmStatus(client, target.vmid, signal)).status
          } catch (err) {
            if (isVmMissing(err)) return 'missing'
            throw err
          }
        })
      } catch (err) {
        return {
          checkedAt,
          power: 'unknown',
          game: null,
          error: `Proxmox: ${err instanceof Error ? err.message : String(err)}`.slice(0, 1000),
        }
      }
      const known = ['running', 'stopped', 'paused', 'missing'] as const
      const state = known.find((k) => k === power) ?? 'unknown'
      if (state !== 'running') return { checkedAt, power: state, game: null }
      return { checkedAt, power: state, game: await probeGame(target, signal) }
    },
    listProductVms(conn: ProxmoxConnection, signal: AbortSignal): Promise<ProductVm[]> {
      return withClient(conn, (client) => listProductVms(client, signal))
    },
    /** Close the held connection now (the runner is stopping). */
    close(): void {
      if (held?.idle) clearTimeout(held.idle)
      held?.client.close()
      held = null
    },
  }
}
