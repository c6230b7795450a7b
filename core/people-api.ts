import * as z from 'zod'
import { Password, Username } from './auth'
import { ACCESS, ROLES, TOKEN_SCOPES } from './people'

/** The request bodies of the accounts API (worker/routes/users.ts, invites.ts, auth.ts). */

export const Role = z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` })
export const Access = z.enum(ACCESS, { error: `must be one of ${ACCESS.join(', ')}` })
export const DeploymentScope = z.enum(['all', 'granted'], { error: 'must be all or granted' })

export const Grant = z.object({
  deploymentId: z.string().trim().min(1, 'is required').max(64, 'must be at most 64 characters'),
  access: Access,
})

const Grants = z
  .array(Grant)
  .max(500, 'must list at most 500 deployments')
  .refine((gs) => new Set(gs.map((g) => g.deploymentId)).size === gs.length, {
    message: 'must not name a deployment twice',
  })

/** How long an invite or reset link lives at most. */
export const MAX_LINK_HOURS = 7 * 24

export const InviteBody = z.object({
  role: Role,
  deploymentScope: DeploymentScope.default('all'),
  grants: Grants.default([]),
  expiresInHours: z
    .number({ error: 'must be a number of hours' })
    .int('must be a whole number of hours')
    .min(1, 'must be at least 1 hour')
    .max(MAX_LINK_HOURS, `must be at most ${MAX_LINK_HOURS} hours`)
    .default(72),
})
export type InviteBody = z.infer<typeof InviteBody>

export const UpdateUserBody = z
  .object({
    role: Role.optional(),
    disabled: z.boolean({ error: 'must be true or false' }).optional(),
    deploymentScope: DeploymentScope.optional(),
    grants: Grants.optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: 'must change at least one of role, disabled, deploymentScope, grants',
  })
export type UpdateUserBody = z.infer<typeof UpdateUserBody>

const LinkToken = z.string().trim().min(1, 'is required').max(128, 'is not a valid link')

/** What the invite or reset page sends: the token from the link, then the account's details. */
export const LinkCheckBody = z.object({ token: LinkToken })
export const AcceptLinkBody = z.object({
  token: LinkToken,
  /** Only for an invite: a reset keeps the account's name. */
  username: Username.optional(),
  password: Password,
})
export type AcceptLinkBody = z.infer<typeof AcceptLinkBody>

export const ChangePasswordBody = z.object({
  current: z.string().min(1, 'is required').max(1024),
  next: Password,
})

export const TokenScope = z.enum(TOKEN_SCOPES, {
  error: `must be one of ${TOKEN_SCOPES.join(', ')}`,
})

/** The longest an API token may live. */
export const MAX_TOKEN_DAYS = 365

export const CreateTokenBody = z
  .object({
    name: z.string().trim().min(1, 'is required').max(64, 'must be at most 64 characters'),
    scope: TokenScope,
    /** Limit the token to these deployments; absent: all its user sees. */
    deploymentIds: z
      .array(z.string().trim().min(1).max(64))
      .min(1, 'must name at least one deployment, or be left out')
      .max(100, 'must list at most 100 deployments')
      .optional(),
    expiresInDays: z
      .number({ error: 'must be a number of days' })
      .int('must be a whole number of days')
      .min(1, 'must be at least 1 day')
      .max(MAX_TOKEN_DAYS, `must be at most ${MAX_TOKEN_DAYS} days`)
      .default(90),
  })
  .refine((b) => !(b.scope === 'admin' && b.deploymentIds), {
    message: 'an admin token spans everything: leave deploymentIds out or choose operate or read',
    path: ['deploymentIds'],
  })
