import * as z from 'zod'
import { cidrContains, ipv4ToInt } from './ipv4'
import {
  BRIDGE_NAME,
  DOMAIN_NAME,
  HEX_PAIR_FINGERPRINT,
  IPV4,
  IPV4_CIDR,
  LINUX_USER,
  NODE_NAME,
  PEM_CERTIFICATE,
  POOL_NAME,
  STORAGE_ID,
  TOKEN_ID,
} from './settings-rules'

export { cidrContains, cidrPrefix, intToIpv4, ipv4ToInt } from './ipv4'

/**
 * The Proxmox connection and deployment defaults, as the admin enters them in Settings and as
 * the runner receives them inside a job. One schema drives the API validation, the web form and
 * the runner's client.
 */

/** Dotted IPv4 address. */
export const Ipv4 = z.string().trim().regex(IPV4, 'must be an IPv4 address such as 192.168.1.10')
export type Ipv4 = z.infer<typeof Ipv4>

/** IPv4 CIDR, e.g. 192.168.1.0/24. */
export const Ipv4Cidr = z
  .string()
  .trim()
  .regex(IPV4_CIDR, 'must be an IPv4 CIDR such as 192.168.1.0/24')
export type Ipv4Cidr = z.infer<typeof Ipv4Cidr>

/** How the runner verifies the Proxmox API's TLS certificate. */
export const ProxmoxTls = z.discriminatedUnion('mode', [
  z.object({
    mode: z.literal('fingerprint'),
    /** SHA-256 of the node certificate, `AB:CD:…` as `GET /nodes` and the PVE GUI show it. */
    fingerprint: z
      .string()
      .trim()
      .regex(
        HEX_PAIR_FINGERPRINT,
        'must be a SHA-256 fingerprint: 32 hex pairs separated by colons',
      )
      .transform((s) => s.toUpperCase()),
  }),
  z.object({
    mode: z.literal('ca'),
    /** The cluster CA, /etc/pve/pve-root-ca.pem. */
    caPem: z.string().trim().max(20_000).regex(PEM_CERTIFICATE, 'must be a PEM certificate'),
  }),
  z.object({
    /** No verification at all. Allowed only because the admin switched it on explicitly. */
    mode: z.literal('insecure'),
  }),
])
export type ProxmoxTls = z.infer<typeof ProxmoxTls>

/** Range of static addresses handed to new VMs, inside `cidr`. */
export const IpPool = z
  .object({
    cidr: Ipv4Cidr,
    rangeStart: Ipv4,
    rangeEnd: Ipv4,
  })
  .refine((p) => ipv4ToInt(p.rangeStart) <= ipv4ToInt(p.rangeEnd), {
    message: 'rangeStart must not be after rangeEnd',
    path: ['rangeEnd'],
  })
  .refine((p) => cidrContains(p.cidr, p.rangeStart) && cidrContains(p.cidr, p.rangeEnd), {
    message: 'the range must lie inside the CIDR',
    path: ['rangeStart'],
  })
export type IpPool = z.infer<typeof IpPool>

/** Fields every Proxmox settings shape has, secrets excluded. */
const ProxmoxSettingsFields = {
  /** e.g. https://pve.example.lan:8006 (no path; /api2/json is added by the client). */
  apiUrl: z
    .string()
    .trim()
    .url('must be a URL such as https://pve.lan:8006')
    .refine(
      (u) => /^https?:\/\//.test(u),
      'must start with https:// (or http:// for a local simulator)',
    )
    .transform((u) => u.replace(/\/+$/, '').replace(/\/api2\/json$/, '')),
  node: z.string().trim().regex(NODE_NAME, 'must be a Proxmox node name'),
  /** `user@realm!tokenname`, e.g. `deployer@pve!pgd`. */
  tokenId: z.string().trim().regex(TOKEN_ID, 'must look like user@realm!tokenname'),
  tls: ProxmoxTls,
  templateVmid: z.coerce.number().int().min(100).max(999_999_999),
  storage: z.string().trim().regex(STORAGE_ID, 'must be a Proxmox storage id such as local-lvm'),
  /** Where backups go: a storage that takes `backup` content (a directory, NFS, or PBS). */
  backupStorage: z
    .string()
    .trim()
    .regex(STORAGE_ID, 'must be a Proxmox storage id such as local')
    .default('local'),
  /**
   * Resource pool the new VMs are cloned into, so the token can be limited to it
   * (docs/proxmox-token.md); empty: no pool. Nested pools (PVE 8.1+) are `parent/child`.
   */
  pool: z
    .string()
    .trim()
    .max(64)
    .regex(POOL_NAME, 'must be a Proxmox pool name such as pgd (letters, digits, - and _)')
    .default(''),
  bridge: z.string().trim().regex(BRIDGE_NAME, 'must be a Linux bridge name such as vmbr0'),
  vlan: z.coerce.number().int().min(1).max(4094).nullable().default(null),
  gateway: Ipv4,
  dnsServers: z.array(Ipv4).min(1, 'give at least one DNS server').max(3),
  searchDomain: z.string().trim().max(253).regex(DOMAIN_NAME, 'must be a domain name').default(''),
  ipPool: IpPool,
  ciUser: z.string().trim().regex(LINUX_USER, 'must be a Linux user name such as debian'),
  sshPort: z.coerce.number().int().min(1).max(65_535).default(22),
}

/**
 * What the admin submits. `tokenSecret` may be omitted on update to keep the stored one.
 */
export const ProxmoxSettingsInput = z.object({
  ...ProxmoxSettingsFields,
  tokenSecret: z.string().trim().min(1).max(512).optional(),
})
export type ProxmoxSettingsInput = z.infer<typeof ProxmoxSettingsInput>

/** What the API returns: never the secret, only whether one is stored. */
export const ProxmoxSettingsView = z.object({
  ...ProxmoxSettingsFields,
  tokenSecretSet: z.boolean(),
})
export type ProxmoxSettingsView = z.infer<typeof ProxmoxSettingsView>

/** What the runner receives inside a job: the full connection, secret included. */
export const ProxmoxConnection = z.object({
  ...ProxmoxSettingsFields,
  tokenSecret: z.string().min(1),
})
export type ProxmoxConnection = z.infer<typeof ProxmoxConnection>

/**
 * What the sealed token secret is bound to at rest (AES-GCM additional data): its destination.
 * A stored connection whose URL, token id or TLS check was changed outside the dashboard no
 * longer opens, so the token cannot be redirected that way either.
 */
export function proxmoxTokenSubject(
  fields: Pick<ProxmoxConnection, 'apiUrl' | 'tokenId' | 'tls'>,
): string {
  return JSON.stringify([fields.apiUrl, fields.tokenId, fields.tls])
}

/**
 * What happens to VMs nobody needs any more (Settings → Cleanup). Nothing is destroyed on its
 * own unless the admin chose it here.
 */
export const CleanupPolicy = z
  .object({
    /** A failed deploy: keep the VM for debugging (default), or destroy it at once. */
    onFailure: z.enum(['keep', 'destroy']).default('keep'),
    /**
     * VMs tagged by this product whose deployment no longer exists or was destroyed: only report
     * them in the dashboard (default), or destroy them when the sweep finds them.
     */
    orphans: z.enum(['report', 'destroy']).default('report'),
  })
  .strict()
export type CleanupPolicy = z.infer<typeof CleanupPolicy>
export const DEFAULT_CLEANUP: CleanupPolicy = { onFailure: 'keep', orphans: 'report' }
