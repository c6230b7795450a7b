import * as z from 'zod'
import { Password, Username } from './auth'

/**
 * Who may do what. Shared by the worker (which enforces it on every route) and the dashboard
 * (which hides what a role cannot do); the worker is the only judge, the UI only follows.
 */

/** Roles, weakest first. */
export const ROLES = ['viewer', 'operator', 'admin', 'owner'] as const
export const Role = z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` })
export type Role = z.infer<typeof Role>

/** What a per-deployment grant allows: `view` reads, `operate` also changes and powers. */
export const ACCESS = ['view', 'operate'] as const
export const Access = z.enum(ACCESS, { error: `must be one of ${ACCESS.join(', ')}` })
export type Access = z.infer<typeof Access>

/** `all`: every deployment, as far as the role goes; `granted`: only those granted. */
export const DeploymentScope = z.enum(['all', 'granted'], { error: 'must be all or granted' })
export type DeploymentScope = z.infer<typeof DeploymentScope>

/**
 * What a route needs. `public` and `runner` need no user (the runner brings its own key);
 * `signedIn` is any account on its own business (sign-out, its own sessions); `read` sees the
 * fleet (lists are filtered by grant); `create` makes deployments; `admin` is everything that
 * touches the Proxmox side or other people (settings, runners, users, alerts, audit);
 * `deployment:*` is checked against the deployment named in the path.
 */
export type Permission =
  | 'public'
  | 'runner'
  | 'signedIn'
  | 'read'
  | 'create'
  | 'admin'
  | 'deployment:view'
  | 'deployment:operate'

/** What the request's account is allowed, as the checks need it. */
export interface Principal {
  role: Role
  deploymentScope: DeploymentScope
  /** Per-deployment grants; only consulted when `deploymentScope` is `granted`. */
  grants: Readonly<Record<string, Access>>
}

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2, owner: 3 }

/** Whether `role` is at least `min`. */
export function atLeast(role: Role, min: Role): boolean {
  return RANK[role] >= RANK[min]
}

/** Admins and owners always see every deployment: a grant list only narrows the others. */
export function effectiveScope(p: Pick<Principal, 'role' | 'deploymentScope'>): DeploymentScope {
  return atLeast(p.role, 'admin') ? 'all' : p.deploymentScope
}

/** What the principal may do on one deployment: null when it may not even see it. */
export function deploymentAccess(p: Principal, deploymentId: string): Access | null {
  const byRole: Access = atLeast(p.role, 'operator') ? 'operate' : 'view'
  if (effectiveScope(p) === 'all') return byRole
  const granted = p.grants[deploymentId]
  if (!granted) return null
  return granted === 'operate' && byRole === 'operate' ? 'operate' : 'view'
}

/** Whether the principal holds a permission that does not name a deployment. */
export function allows(p: Principal, permission: Permission): boolean {
  switch (permission) {
    case 'public':
    case 'runner':
    case 'signedIn':
    case 'read':
      return true
    case 'create':
      // A friend limited to their own servers does not add new ones to the cluster.
      return atLeast(p.role, 'operator') && effectiveScope(p) === 'all'
    case 'admin':
      return atLeast(p.role, 'admin')
    case 'deployment:view':
    case 'deployment:operate':
      return false
  }
}

/** Whether the principal may manage (change, disable, remove, reset) an account of `target`. */
export function mayManage(actor: Role, target: Role): boolean {
  if (!atLeast(actor, 'admin')) return false
  return actor === 'owner' || target !== 'owner'
}

export const Grant = z.object({
  deploymentId: z.string().trim().min(1, 'is required').max(64, 'must be at most 64 characters'),
  access: Access,
})
export type Grant = z.infer<typeof Grant>

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
