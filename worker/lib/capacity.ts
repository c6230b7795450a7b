import { shortfalls, shortfallText } from '../../core/capacity'
import type { VmSizing } from '../../core/games/types'
import type { CapacityAnswer } from '../do/hub/requests'
import { hubStub } from '../do/stubs'
import { ApiError } from '../http/errors'
import { loadProxmoxConnection, plainHttpAllowed } from '../settings/proxmox'

/** Capacity as the API reports it: a runner's figures, or why there are none. */
export type CapacityView =
  | CapacityAnswer
  | {
      known: false
      reason: 'not_configured' | 'insecure_api_url'
      runner: null
      message: string
      checkedAt: number
    }

/**
 * The node's free memory and the storage's free space, read by a runner (the worker cannot reach
 * Proxmox). Unknown, with the reason, when there is no connection or no runner to ask.
 */
export async function readCapacity(env: Env): Promise<CapacityView> {
  const unknown = (reason: 'not_configured' | 'insecure_api_url', message: string) => ({
    known: false as const,
    reason,
    runner: null,
    message,
    checkedAt: Date.now(),
  })
  let proxmox
  try {
    proxmox = await loadProxmoxConnection(env)
  } catch (err) {
    if (err instanceof ApiError) return unknown('not_configured', err.message)
    throw err
  }
  if (!proxmox) return unknown('not_configured', 'Save the Proxmox connection first.')
  // The runner would send the token in clear to a plain http:// API saved before that was refused.
  if (proxmox.apiUrl.startsWith('http://') && !plainHttpAllowed(env)) {
    return unknown('insecure_api_url', 'The saved API URL uses plain http://.')
  }
  return hubStub(env).capacity(proxmox)
}

/**
 * Refuse a VM that does not fit on the node or its storage, with the numbers. When the figures
 * are unknown (no runner online, Proxmox unreachable) nothing is refused here: the deploy's own
 * steps report what Proxmox says.
 */
export async function refuseIfNoRoom(env: Env, sizing: VmSizing): Promise<void> {
  const view = await readCapacity(env)
  if (!view.known) return
  const missing = shortfalls(view.capacity, sizing)
  if (missing.length === 0) return
  throw new ApiError(
    409,
    'insufficient_capacity',
    missing.map((s) => shortfallText(s, 'en')).join(' '),
    { details: { shortfalls: missing } },
  )
}
