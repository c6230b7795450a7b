import * as z from 'zod'
import type { DeploymentSpec } from './protocol'
import { Ipv4 } from './settings'

/**
 * What the worker asks the runner to build for one deployment. The runner combines it with the
 * `ProxmoxConnection` (node, template, storage, bridge, gateway, pool prefix) to talk to Proxmox.
 */

/**
 * A deployment id as the worker mints it (ULID / uuid-like). Kept to characters that survive
 * both PVE formats it is encoded into: `pve-tag-list` (`[a-z0-9_][a-z0-9_\-+.]*`) and
 * `dns-name` (no underscores), so the tag and the VM name carry it unchanged.
 */
export const DeploymentId = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/, 'must be a lowercase id (letters, digits, -)')
export type DeploymentId = z.infer<typeof DeploymentId>

/** One OpenSSH public key on one line: `<type> <base64> [comment]`. */
export const SshPublicKey = z
  .string()
  .trim()
  .max(16_384)
  .regex(
    /^(?:ssh-(?:ed25519|rsa|dss)|ecdsa-sha2-nistp(?:256|384|521)|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]+={0,3}(?: [^\r\n]*)?$/,
    'must be one OpenSSH public key line, e.g. ssh-ed25519 AAAA… user@host',
  )
export type SshPublicKey = z.infer<typeof SshPublicKey>

/** The VM a deployment needs. */
export const VmSpec = z.object({
  deploymentId: DeploymentId,
  /** Human name (the deployment's name); slugged into the VM name. */
  name: z.string().trim().min(1).max(80),
  cores: z.number().int().min(1).max(128),
  memoryMiB: z.number().int().min(512).max(1_048_576),
  diskGiB: z.number().int().min(1).max(65_536),
  /** Fixed IPv4 from the pool; the prefix length comes from the pool CIDR. */
  ipAddress: Ipv4,
  sshPublicKeys: z.array(SshPublicKey).min(1).max(32),
  description: z.string().max(4_000).optional(),
})
export type VmSpec = z.infer<typeof VmSpec>

export { deploymentTag, VM_TAG_PREFIX } from './vm-tags'

/**
 * The VM name: a DNS name (PVE `dns-name`, also the guest hostname via cloud-init) that ends with
 * the deployment id, so the VM can be found by name before its tags are set (the clone call
 * cannot set tags). At most 63 characters, a single DNS label.
 */
export function vmNameFor(spec: Pick<VmSpec, 'deploymentId' | 'name'>): string {
  const suffix = `-${spec.deploymentId.toLowerCase()}`
  const room = Math.max(0, 63 - suffix.length - 3)
  const slug = spec.name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, room)
    .replace(/-+$/, '')
  return `gs${slug ? `-${slug}` : ''}${suffix}`
}

/**
 * The VM spec of a deploy job: the job's sizing and address, and the runner's own key first
 * among the authorised keys. Throws a ZodError naming the field when the job is not deployable.
 */
export function vmSpecFromDeployment(d: DeploymentSpec, runnerPublicKey: string): VmSpec {
  const keys = [...new Set([runnerPublicKey, ...d.sshPublicKeys].map((k) => k.trim()))]
  return VmSpec.parse({
    deploymentId: d.deploymentId,
    name: d.name,
    cores: d.cores,
    memoryMiB: d.memoryMiB,
    diskGiB: d.diskGiB,
    ipAddress: d.ipAddress,
    sshPublicKeys: keys,
    description: `Proxmox Game Deployer: ${d.game} "${d.name}", deployment ${d.deploymentId}`,
  })
}
