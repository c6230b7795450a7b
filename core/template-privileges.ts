import { shellQuote, splitTokenId } from './proxmox-privileges'

/**
 * What the template job (core/template.ts) needs besides the deployments' grants, once: reading
 * and filling the storage the Debian image goes to, letting Proxmox download from the network,
 * and the hardware options of a VM it creates (docs/proxmox-token.md, "The template job").
 */
export const TEMPLATE_JOB_ROLES = {
  /** List the image storage and download into it (`import` content). */
  PGDImages: ['Datastore.AllocateTemplate', 'Datastore.Audit'],
  /** download-url lets the caller probe the node's network: Proxmox asks for this on the node. */
  PGDNodeNetwork: ['Sys.AccessNetwork'],
  /** The template's scsihw and vga, on the pool it is created in. */
  PGDTemplateBuild: ['VM.Config.HWType'],
} as const satisfies Record<string, readonly string[]>

export type TemplateJobRole = keyof typeof TEMPLATE_JOB_ROLES

export interface TemplateJobScope {
  tokenId: string
  node: string
  /** The storage the image is downloaded to (`local` by default). */
  imageStorage: string
  /** The resource pool; empty: the hardware role goes on /vms. */
  pool: string
}

/** Each one-time role on its ACL path. */
export function templateJobGrants(
  scope: Omit<TemplateJobScope, 'tokenId'>,
): { role: TemplateJobRole; path: string; privileges: readonly string[] }[] {
  const grant = (role: TemplateJobRole, path: string) => ({
    role,
    path,
    privileges: TEMPLATE_JOB_ROLES[role],
  })
  return [
    grant('PGDImages', `/storage/${scope.imageStorage}`),
    grant('PGDNodeNetwork', `/nodes/${scope.node}`),
    grant('PGDTemplateBuild', scope.pool ? `/pool/${scope.pool}` : '/vms'),
  ]
}

/** The `pveum` lines that give the token (and its user) the template job's grants. */
export function templateJobCommands(scope: TemplateJobScope): string[] {
  const { userId } = splitTokenId(scope.tokenId)
  const grants = templateJobGrants(scope)
  return [
    ...grants.map((g) => `pveum role add ${g.role} --privs ${g.privileges.join(',')}`),
    ...grants.map(
      (g) =>
        `pveum acl modify ${shellQuote(g.path)} --users ${shellQuote(userId)} --tokens ${shellQuote(scope.tokenId)} --roles ${g.role}`,
    ),
  ]
}
