import { z } from 'zod'
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
