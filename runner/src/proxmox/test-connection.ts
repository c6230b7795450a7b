import * as z from 'zod'
import {
  aclCommand,
  poolAddCommand,
  requiredGrants,
  roleAddCommand,
  vmsPath,
  type Grant,
} from '../../../core/proxmox-privileges'
import type { ConnectionCheck } from '../../../core/protocol'
import type { ProxmoxClient } from './client'
import { ProxmoxApiError, ProxmoxNetworkError, ProxmoxTlsError, errorText } from './errors'

/**
 * "Test connection" for the setup wizard, run on a runner (the worker cannot reach a private
 * Proxmox). Each check names what is wrong and how to fix it.
 */

const Version = z.object({ version: z.string(), release: z.string().optional() })
const Nodes = z.array(z.object({ node: z.string(), status: z.string().optional() }))
const Permissions = z.record(z.string(), z.record(z.string(), z.unknown()))
const Status = z.object({
  template: z.union([z.number(), z.boolean()]).optional(),
  name: z.string().optional(),
})
const TemplateConfig = z.record(z.string(), z.unknown())
const Storages = z.array(
  z.object({
    storage: z.string(),
    content: z.string(),
    active: z.union([z.number(), z.boolean()]).optional(),
    enabled: z.union([z.number(), z.boolean()]).optional(),
  }),
)
const Ifaces = z.array(z.object({ iface: z.string(), type: z.string() }))
const Pools = z.array(z.object({ poolid: z.string(), members: z.array(z.unknown()).optional() }))

/** Run every check in order; stops after the first one that makes the rest meaningless. */
export async function testConnection(
  client: ProxmoxClient,
  signal?: AbortSignal,
): Promise<ConnectionCheck[]> {
  const conn = client.connection
  const checks: ConnectionCheck[] = []
  const get = (path: string, params = {}): Promise<unknown> =>
    client.call('GET', path, params, signal)

  let major: number
  let minor: number
  try {
    const v = Version.parse(await get('/version'))
    major = Number(v.version.split('.')[0])
    minor = Number(v.version.split('.')[1] ?? 0)
    checks.push(
      major >= 7
        ? { name: 'API', ok: true, message: `Proxmox VE ${v.version} answered` }
        : {
            name: 'API',
            ok: false,
            message: `Proxmox VE ${v.version} is too old`,
            fix: 'Upgrade to Proxmox VE 7 or later',
          },
    )
  } catch (err) {
    checks.push(apiFailure(err, conn.apiUrl))
    return checks
  }

  const nodes = Nodes.parse(await get('/nodes'))
  const node = nodes.find((n) => n.node === conn.node)
  if (!node) {
    checks.push({
      name: 'Node',
      ok: false,
      message: `node '${conn.node}' is not in this cluster (nodes: ${nodes.map((n) => n.node).join(', ') || 'none visible'})`,
      fix: 'Use the node name shown under Datacenter in the Proxmox GUI',
    })
    return checks
  }
  checks.push(
    node.status === 'online' || node.status === undefined
      ? { name: 'Node', ok: true, message: `node '${conn.node}' is online` }
      : {
          name: 'Node',
          ok: false,
          message: `node '${conn.node}' is ${node.status}`,
          fix: 'Bring the node online',
        },
  )

  checks.push(await poolCheck(client, major > 8 || (major === 8 && minor >= 1), signal))
  checks.push(await permissionsCheck(client, major, signal))
  checks.push(await templateCheck(client, signal))
  checks.push(storageCheck(conn.storage, Storages.parse(await get(`/nodes/${conn.node}/storage`))))
  const ifaces = Ifaces.parse(await get(`/nodes/${conn.node}/network`, { type: 'any_bridge' }))
  checks.push(
    ifaces.some((i) => i.iface === conn.bridge)
      ? { name: 'Bridge', ok: true, message: `bridge ${conn.bridge} exists` }
      : {
          name: 'Bridge',
          ok: false,
          message: `bridge ${conn.bridge} does not exist on ${conn.node} (bridges: ${ifaces.map((i) => i.iface).join(', ') || 'none'})`,
          fix: 'Pick one of the listed bridges, or create it under System → Network',
        },
  )
  return checks
}

/**
 * The resource pool the VMs go into exists (a clone into a missing one fails with `pool '…' does
 * not exist`). `GET /pools?poolid=` answers for any pool, whatever the token may see; it exists
 * from PVE 8.1 on (nested pools), so older clusters skip this and rely on the permissions check.
 */
async function poolCheck(
  client: ProxmoxClient,
  canAskById: boolean,
  signal?: AbortSignal,
): Promise<ConnectionCheck> {
  const { pool, tokenId } = client.connection
  if (!pool) {
    return {
      name: 'Pool',
      ok: true,
      message: 'no resource pool set: the token needs its VM privileges on all of /vms',
      fix: 'Set a resource pool in Settings so the token holds privileges on its own VMs only (docs/proxmox-token.md)',
    }
  }
  if (!canAskById) return { name: 'Pool', ok: true, message: `new VMs go into pool '${pool}'` }
  try {
    const [found] = Pools.parse(await client.call('GET', '/pools', { poolid: pool }, signal))
    const members = found?.members?.length ?? 0
    return {
      name: 'Pool',
      ok: true,
      message: `new VMs go into pool '${pool}' (${members} member${members === 1 ? '' : 's'} now)`,
    }
  } catch (err) {
    const text = errorText(err).split('\n')[0] ?? ''
    if (!/does not exist/.test(text)) {
      return { name: 'Pool', ok: false, message: `cannot read pool '${pool}': ${text}` }
    }
    const vms = requiredGrants(client.connection).find((g) => g.role === 'PGDVMs')
    return {
      name: 'Pool',
      ok: false,
      message: `pool '${pool}' does not exist`,
      fix: 'Create it on a Proxmox node (as root) and grant the token its VM privileges on it:',
      commands: [poolAddCommand(pool), ...(vms ? [aclCommand(vms, tokenId)] : [])],
    }
  }
}

/**
 * The token's privileges against the list in core/proxmox-privileges.ts, read with
 * `GET /access/permissions?path=` for each ACL path; a missing one is named with the `pveum`
 * commands that grant it.
 */
async function permissionsCheck(
  client: ProxmoxClient,
  major: number,
  signal?: AbortSignal,
): Promise<ConnectionCheck> {
  const conn = client.connection
  const missing: string[] = []
  const lacking: Grant[] = []
  let any = false
  const privilegesAt = async (path: string): Promise<Record<string, unknown>> =>
    Permissions.parse(await client.call('GET', '/access/permissions', { path }, signal))[path] ?? {}
  for (const grant of requiredGrants(conn, major)) {
    const have = await privilegesAt(grant.path)
    if (Object.keys(have).length > 0) any = true
    let absent = grant.privileges.filter((p) => !(p in have))
    if (absent.length > 0 && grant.path !== '/vms' && grant.role === 'PGDVMs') {
      // A pool's VMs also hold what is granted on all of /vms: broader than needed, but enough.
      const everywhere = await privilegesAt('/vms')
      absent = absent.filter((p) => !(p in everywhere))
    }
    for (const p of absent) missing.push(`${p} on ${grant.path}`)
    if (absent.length > 0) lacking.push(grant)
  }
  if (missing.length === 0) {
    return {
      name: 'Permissions',
      ok: true,
      message: `the token may clone the template, and configure, power and delete VMs in ${vmsPath(conn.pool)}`,
    }
  }
  // One role add per role (the disks' and the backups' storages share PGDStorage), then its ACL.
  const added = new Set<string>()
  const commands = lacking.flatMap((g) => {
    const role = added.has(g.role) ? [] : [roleAddCommand(g.role)]
    added.add(g.role)
    return [...role, aclCommand(g, conn.tokenId)]
  })
  return {
    name: 'Permissions',
    ok: false,
    message: `the token lacks ${missing.join(', ')}`,
    fix: any
      ? 'Grant them on a Proxmox node (as root), to the token and its user: a token with privilege separation holds only what both were granted. If a role already exists, use "pveum role modify <role> --privs …" instead of "role add".'
      : `The token has no permissions of its own: tokens are created with "Privilege Separation" on, so ${conn.tokenId} holds only what is granted to it (and to its user). Grant them on a Proxmox node (as root):`,
    commands,
  }
}

async function templateCheck(
  client: ProxmoxClient,
  signal?: AbortSignal,
): Promise<ConnectionCheck> {
  const { node, templateVmid } = client.connection
  try {
    const st = Status.parse(
      await client.call('GET', `/nodes/${node}/qemu/${templateVmid}/status/current`, {}, signal),
    )
    if (st.template === 1 || st.template === true) {
      // Without a cloud-init drive, ciuser/sshkeys/ipconfig0 silently do nothing
      // (docs/proxmox-api.md#cloud-init).
      const config = TemplateConfig.parse(
        await client.call('GET', `/nodes/${node}/qemu/${templateVmid}/config`, {}, signal),
      )
      const hasCloudInit = Object.values(config).some(
        (v) => typeof v === 'string' && /:(vm|base)-\d+-cloudinit\b/.test(v),
      )
      return hasCloudInit
        ? {
            name: 'Template',
            ok: true,
            message: `VM ${templateVmid} (${st.name ?? 'no name'}) is a template with a cloud-init drive`,
          }
        : {
            name: 'Template',
            ok: false,
            message: `template VM ${templateVmid} has no cloud-init drive, so the VMs would not get their user, keys or address`,
            fix: `Add one in the Proxmox GUI: VM ${templateVmid} → Hardware → Add → CloudInit Drive`,
          }
    }
    return {
      name: 'Template',
      ok: false,
      message: `VM ${templateVmid} exists but is not a template`,
      fix: `Convert it in the Proxmox GUI (right-click VM ${templateVmid} → Convert to template), or pick the id of your cloud-init template`,
    }
  } catch (err) {
    return {
      name: 'Template',
      ok: false,
      message: `template VM ${templateVmid} not found on node ${node}: ${errorText(err).split('\n')[0]}`,
      fix: 'Set the VMID of a cloud-init template that lives on this node',
    }
  }
}

function storageCheck(storage: string, list: z.infer<typeof Storages>): ConnectionCheck {
  const s = list.find((x) => x.storage === storage)
  if (!s) {
    return {
      name: 'Storage',
      ok: false,
      message: `storage '${storage}' is not available on this node (storages: ${list.map((x) => x.storage).join(', ') || 'none visible'})`,
      fix: 'Pick a storage listed here; the token also needs Datastore.Audit or Datastore.AllocateSpace to see it',
    }
  }
  if (!s.content.split(',').includes('images')) {
    return {
      name: 'Storage',
      ok: false,
      message: `storage '${storage}' does not hold VM disks (content: ${s.content})`,
      fix: 'Enable the "Disk image" content type on it under Datacenter → Storage, or pick another storage',
    }
  }
  if (s.active === 0 || s.active === false) {
    return {
      name: 'Storage',
      ok: false,
      message: `storage '${storage}' is not active`,
      fix: 'Check the storage in the Proxmox GUI',
    }
  }
  return { name: 'Storage', ok: true, message: `storage '${storage}' holds VM disks` }
}

function apiFailure(err: unknown, apiUrl: string): ConnectionCheck {
  if (err instanceof ProxmoxTlsError) {
    return {
      name: 'API',
      ok: false,
      message: err.message,
      fix: "Copy the fingerprint from the node's System → Certificates page (or /etc/pve/pve-root-ca.pem as the CA)",
    }
  }
  if (err instanceof ProxmoxApiError && err.status === 401) {
    return {
      name: 'API',
      ok: false,
      message: 'Proxmox rejected the API token (401)',
      fix: 'Check the token id (user@realm!name) and paste the secret shown when the token was created',
    }
  }
  if (err instanceof ProxmoxNetworkError) {
    return {
      name: 'API',
      ok: false,
      message: err.message,
      fix: `Check that the runner host can reach ${apiUrl} (port 8006, firewall)`,
    }
  }
  return { name: 'API', ok: false, message: errorText(err).split('\n')[0] ?? 'unknown error' }
}
