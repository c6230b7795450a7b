import * as z from 'zod'
import { Ipv4 } from './settings'
import { SshPublicKey } from './vm-spec'

/** `POST /api/deployments`: the game's own config is validated by its module afterwards. */
export const CreateDeployment = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'is required')
    .max(63, 'must be at most 63 characters')
    .regex(
      /^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u,
      'may contain letters, digits, spaces, dot, dash and underscore',
    ),
  game: z.string().trim().min(1, 'is required').max(32),
  config: z.record(z.string(), z.unknown()).default({}),
  /** A free address from the pool, or one the admin gives (inside the pool's network). */
  network: z
    .discriminatedUnion('mode', [
      z.object({ mode: z.literal('pool') }),
      z.object({ mode: z.literal('static'), ip: Ipv4 }),
    ])
    .default({ mode: 'pool' }),
  /** Keys to put on the VM for the admin's own SSH access, besides the runner's. */
  sshPublicKeys: z.array(SshPublicKey).max(8).default([]),
})
export type CreateDeployment = z.infer<typeof CreateDeployment>

export const ListDeploymentsQuery = z.object({
  status: z.string().max(32).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(100),
})

export const LogsQuery = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(10_000).default(1_000),
})

/** Why the sweep thinks a VM is an orphan. */
export const OrphanReason = z.enum([
  /** Its tag names a deployment this dashboard has never had (or whose row was removed). */
  'unknown_deployment',
  /** Its deployment was destroyed, yet the VM is still there. */
  'deployment_destroyed',
  /** Its deployment owns another VM: this one is a leftover (e.g. a clone from a lost race). */
  'duplicate_vm',
])
export type OrphanReason = z.infer<typeof OrphanReason>

/** `GET /api/orphans`: a VM of this product that no live deployment owns. */
export const OrphanVm = z.object({
  vmid: z.number().int(),
  name: z.string().nullable(),
  /** Power state as the sweep saw it. */
  status: z.string(),
  deploymentId: z.string().nullable(),
  deploymentName: z.string().nullable(),
  reason: OrphanReason,
  /** When the sweep first saw it (epoch ms). */
  firstSeenAt: z.number(),
})
export type OrphanVm = z.infer<typeof OrphanVm>
