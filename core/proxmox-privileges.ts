/**
 * The Proxmox VE privileges this product needs, kept in this one place: the runner's "Test
 * connection" checks them and names the command that grants a missing one, the Settings page
 * shows the commands that set up a least-privilege token, and docs/proxmox-token.md is checked
 * against them (test/core/proxmox-privileges.test.ts).
 *
 * Each privilege comes from an endpoint the runner calls and the `permissions` Proxmox publishes
 * for it (test/pve-sim/pve-api-subset.json, copied from pve-docs' API viewer data):
 * - clone (`POST …/qemu/{vmid}/clone`): `VM.Clone` on the template; `VM.Allocate` on
 *   `/pool/{pool}` when the clone names a pool (else on `/vms/{newid}`); `Datastore.AllocateSpace`
 *   on the target storage; `SDN.Use` on the bridge the template's NIC uses;
 * - configure (`POST …/config`): one `VM.Config.*` per option: CPU (cores), Memory, Network
 *   (net0, and `SDN.Use` on its bridge), Cloudinit (ipconfig0, ciuser, sshkeys, nameserver,
 *   searchdomain, ciupgrade), Options (agent, onboot, tags, description);
 * - resize (`PUT …/resize`): `VM.Config.Disk`; start, shutdown, stop: `VM.PowerMgmt`;
 * - status, config and the VM list (`GET`): `VM.Audit`; destroy (`DELETE`): `VM.Allocate`;
 * - backups (`POST …/vzdump`): `VM.Backup` on the VM and `Datastore.AllocateSpace` on the backup
 *   storage, which also lists its backups and deletes those of VMs the token may back up;
 * - snapshots before a change (`POST …/snapshot`, its rollback and delete): `VM.Snapshot`;
 * - version, nodes, nextid, network, the storage list (any of Datastore.Audit/AllocateSpace),
 *   the token's own tasks and permissions, and one pool by id: no privilege of their own.
 *
 * A VM in a resource pool inherits the roles granted on `/pool/<pool>` (pve-access-control
 * `RPCEnvironment.pm`), so with a pool the token holds no VM privilege outside it.
 */

/** The roles `docs/proxmox-token.md` creates, with exactly the privileges each needs. */
export const PGD_ROLES = {
  /** Everything done to the game VMs, granted on the pool (or on /vms without one). */
  PGDVMs: [
    'VM.Allocate',
    'VM.Audit',
    'VM.Config.CPU',
    'VM.Config.Cloudinit',
    'VM.Config.Disk',
    'VM.Config.Memory',
    'VM.Config.Network',
    'VM.Config.Options',
    'VM.PowerMgmt',
    'VM.Backup',
    'VM.Snapshot',
  ],
  /** Reading and cloning the template, granted on that one VM. */
  PGDTemplate: ['VM.Audit', 'VM.Clone'],
  /** Disks of the clones and backups, granted on the target storage and the backup storage. */
  PGDStorage: ['Datastore.AllocateSpace'],
  /** Attaching NICs to the bridge, granted on it (PVE 8 and later; PVE 7 has no SDN.Use). */
  PGDNetwork: ['SDN.Use'],
} as const satisfies Record<string, readonly string[]>

export type PgdRole = keyof typeof PGD_ROLES

/** One role on one ACL path. */
export interface Grant {
  role: PgdRole
  path: string
  privileges: readonly string[]
}

/** The settings that decide where the grants go. */
export interface PrivilegeScope {
  /** Resource pool the VMs go into; empty: no pool (the VM role then applies to all of /vms). */
  pool: string
  templateVmid: number
  storage: string
  /** Where backups go (Settings); the same role as the disks' storage. Default: none extra. */
  backupStorage?: string
  bridge: string
}

/** PVE checks SDN.Use on a local bridge from this major version on. */
export const SDN_USE_SINCE_MAJOR = 8

/** The ACL path of the VM role: the pool, or every VM without one. */
export function vmsPath(pool: string): string {
  return pool ? `/pool/${pool}` : '/vms'
}

/**
 * The grants a token needs for these settings, on a cluster of this major version (SDN.Use only
 * from PVE 8; pass the newest when unknown).
 */
export function requiredGrants(
  scope: PrivilegeScope,
  pveMajor: number = SDN_USE_SINCE_MAJOR,
): Grant[] {
  const grant = (role: PgdRole, path: string): Grant => ({
    role,
    path,
    privileges: PGD_ROLES[role],
  })
  return [
    grant('PGDVMs', vmsPath(scope.pool)),
    grant('PGDTemplate', `/vms/${scope.templateVmid}`),
    grant('PGDStorage', `/storage/${scope.storage}`),
    ...(scope.backupStorage && scope.backupStorage !== scope.storage
      ? [grant('PGDStorage', `/storage/${scope.backupStorage}`)]
      : []),
    ...(pveMajor >= SDN_USE_SINCE_MAJOR
      ? [grant('PGDNetwork', `/sdn/zones/localnetwork/${scope.bridge}`)]
      : []),
  ]
}

/** `deployer@pve!pgd` → its user `deployer@pve` and token name `pgd`. */
export function splitTokenId(tokenId: string): { userId: string; tokenName: string } {
  const bang = tokenId.lastIndexOf('!')
  return bang === -1
    ? { userId: tokenId, tokenName: '' }
    : { userId: tokenId.slice(0, bang), tokenName: tokenId.slice(bang + 1) }
}

/** Single quotes for the shell: a token id holds `!`, which bash expands inside double quotes. */
export function shellQuote(s: string): string {
  return /^[\w@./:,=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

/** `pveum role add <role> --privs a,b,c`: creates the role with exactly its privileges. */
export function roleAddCommand(role: PgdRole): string {
  return `pveum role add ${role} --privs ${PGD_ROLES[role].join(',')}`
}

/** `pveum role modify <role> --privs a,b,c`: sets an existing role to exactly its privileges. */
export function roleModifyCommand(role: PgdRole): string {
  return `pveum role modify ${role} --privs ${PGD_ROLES[role].join(',')}`
}

/**
 * `pveum acl modify`: the grant to the token and, unless `tokenOnly`, to its user too. A token
 * with privilege separation holds only what both it and its user were granted.
 */
export function aclCommand(grant: Grant, tokenId: string, tokenOnly = false): string {
  const { userId } = splitTokenId(tokenId)
  const users = tokenOnly ? '' : ` --users ${shellQuote(userId)}`
  return `pveum acl modify ${shellQuote(grant.path)}${users} --tokens ${shellQuote(tokenId)} --roles ${grant.role}`
}

/** `pveum pool add`: the resource pool the VMs go into. */
export function poolAddCommand(pool: string): string {
  return `pveum pool add ${shellQuote(pool)} --comment 'Proxmox Game Deployer'`
}

/** What the commands need: where the grants go and which token gets them. */
export interface TokenSetup extends PrivilegeScope {
  tokenId: string
}

/**
 * Every command that prepares Proxmox for this product, in order: the roles, the pool, the user,
 * the token (privilege separation on, so it holds only what is granted here) and the grants.
 */
export function setupCommands(setup: TokenSetup, pveMajor = SDN_USE_SINCE_MAJOR): string[] {
  const { userId, tokenName } = splitTokenId(setup.tokenId)
  const grants = requiredGrants(setup, pveMajor)
  return [
    ...[...new Set(grants.map((g) => g.role))].map(roleAddCommand),
    ...(setup.pool ? [poolAddCommand(setup.pool)] : []),
    `pveum user add ${shellQuote(userId)} --comment 'Proxmox Game Deployer runner'`,
    `pveum user token add ${shellQuote(userId)} ${shellQuote(tokenName)} --privsep 1`,
    ...grants.map((g) => aclCommand(g, setup.tokenId)),
  ]
}

/**
 * Replacing a token's secret: remove the token, add it again (a new secret; the grants of the
 * old one went with it, so they are given again), then paste the new secret into Settings.
 */
export function rotateCommands(setup: TokenSetup, pveMajor = SDN_USE_SINCE_MAJOR): string[] {
  const { userId, tokenName } = splitTokenId(setup.tokenId)
  return [
    `pveum user token remove ${shellQuote(userId)} ${shellQuote(tokenName)}`,
    `pveum user token add ${shellQuote(userId)} ${shellQuote(tokenName)} --privsep 1`,
    ...requiredGrants(setup, pveMajor).map((g) => aclCommand(g, setup.tokenId, true)),
  ]
}
