/**
 * The tags that mark this product's VMs on the node, in a module without zod: a runner between
 * jobs reads them in every sweep and loads no schema (core/vm-spec.ts and core/template.ts
 * re-export them).
 */

/** Prefix of every tag and VM name we create, so our VMs are recognisable in the PVE GUI. */
export const VM_TAG_PREFIX = 'pgd-'

/** The PVE tag that marks the VM of a deployment, e.g. `pgd-01jd4x…`. */
export function deploymentTag(deploymentId: string): string {
  // PVE lowercases tags (docs/proxmox-api.md#config); lowercase here too so a raw uppercase ULID
  // still matches.
  return `${VM_TAG_PREFIX}${deploymentId.toLowerCase()}`
}

/**
 * The tag the template VM carries from its creation on, so a half-made one is found (and the
 * sweep does not report it as an orphan).
 */
export const TEMPLATE_TAG = 'pgd-template'
