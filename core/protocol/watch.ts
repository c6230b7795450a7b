import * as z from 'zod'
import { ArtifactRequest, HealthCheck } from '../games/types'
import { ProxmoxConnection } from '../settings'
import { PROTOCOL_VERSION } from './constants'

/**
 * The `watch` frame on its own, so a runner between jobs parses it without loading the rest of
 * the protocol's schemas (and the game modules they pull in): its memory stays low.
 */

/**
 * A deployment a runner keeps an eye on. `check` is the game's own health check, worked out by
 * the hub from the stored config (null when that config no longer validates): the runner needs
 * no game module and no game config (nor its secrets) to watch.
 */
export const WatchTarget = z.object({
  deploymentId: z.string().min(1).max(64),
  vmid: z.number().int().positive(),
  ipAddress: z.string(),
  game: z.string(),
  check: HealthCheck.nullable(),
  /**
   * The release channel to look for updates on: the game's artifact request when the config
   * follows `latest`; absent for a pinned version (it stays pinned) or a game without versions.
   */
  channel: ArtifactRequest.optional(),
})
export type WatchTarget = z.infer<typeof WatchTarget>

/**
 * The deployments this runner keeps an eye on (the whole list, replacing the previous one), how
 * often, and how often it sweeps the node for this product's VMs (0: it does not). The Proxmox
 * connection comes only with work that needs it: a runner given nothing to watch and no sweep
 * gets `null` and drops the one it held.
 */
export const WatchFrame = z
  .object({
    v: z.literal(PROTOCOL_VERSION),
    type: z.literal('watch'),
    proxmox: ProxmoxConnection.nullable(),
    statusIntervalMs: z.number().int().min(100),
    sweepIntervalMs: z.number().int().min(0),
    targets: z.array(WatchTarget).max(1_000),
  })
  .refine((f) => f.proxmox !== null || (f.targets.length === 0 && f.sweepIntervalMs === 0), {
    message: 'a watch list or a sweep comes with the Proxmox connection',
    path: ['proxmox'],
  })
