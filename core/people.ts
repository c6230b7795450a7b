/**
 * Who may do what, without zod (the dashboard's first paint loads it). Shared by the worker (which enforces it on every route) and the dashboard
 * (which hides what a role cannot do); the worker is the only judge, the UI only follows.
 */

/** Roles, weakest first. */
export const ROLES = ['viewer', 'operator', 'admin', 'owner'] as const
export type Role = (typeof ROLES)[number]

/** What a per-deployment grant allows: `view` reads, `operate` also changes and powers. */
export const ACCESS = ['view', 'operate'] as const
export type Access = (typeof ACCESS)[number]

/** `all`: every deployment, as far as the role goes; `granted`: only those granted. */
export type DeploymentScope = 'all' | 'granted'

/** One deployment an account limited to its grants may see or operate. */
export interface Grant {
  deploymentId: string
  access: Access
}

/**
 * What a route needs. `public` and `runner` need no user (the runner brings its own key);
 * `signedIn` is any account on its own business; `session` too, but only from a browser session,
 * never an API token (password, sessions, tokens themselves); `read` sees the
 * fleet (lists are filtered by grant); `create` makes deployments; `admin` is everything that
 * touches the Proxmox side or other people (settings, runners, users, alerts, audit);
 * `deployment:*` is checked against the deployment named in the path.
 */
export type Permission =
  | 'public'
  | 'runner'
  | 'signedIn'
  | 'session'
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
    case 'session':
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

/** What an API token may do at most; never more than its user. */
export const TOKEN_SCOPES = ['read', 'operate', 'admin'] as const
export type TokenScope = (typeof TOKEN_SCOPES)[number]

const SCOPE_ROLE: Record<TokenScope, Role> = { read: 'viewer', operate: 'operator', admin: 'admin' }

/** The scopes an account of `role` may give its tokens. */
export function scopesFor(role: Role): TokenScope[] {
  return TOKEN_SCOPES.filter((s) => atLeast(role, SCOPE_ROLE[s]))
}

/**
 * What a token acts as: its user narrowed to the token's scope and, when it names deployments,
 * to those (with no more access than the user has on each).
 */
export function tokenPrincipal(
  user: Principal,
  scope: TokenScope,
  deploymentIds: readonly string[] | null,
): Principal {
  const role = atLeast(user.role, SCOPE_ROLE[scope]) ? SCOPE_ROLE[scope] : user.role
  const narrowed: Principal = {
    role,
    deploymentScope: user.deploymentScope,
    grants: user.grants,
  }
  if (deploymentIds === null) return narrowed
  const grants: Record<string, Access> = {}
  for (const id of deploymentIds) {
    const access = deploymentAccess(narrowed, id)
    if (access) grants[id] = access
  }
  // A token limited to deployments is never more than an operator: admin rights span everything.
  return { role: atLeast(role, 'admin') ? 'operator' : role, deploymentScope: 'granted', grants }
}
