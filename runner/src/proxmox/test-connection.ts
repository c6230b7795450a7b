import * as z from 'zod'
import type { ConnectionCheck } from '../../../core/protocol'
import type { ProxmoxClient } from './client'
import { ProxmoxApiError, ProxmoxNetworkError, ProxmoxTlsError, errorText } from './errors'

/**
 * "Test connection" for the setup wizard, run on a runner (the worker cannot reach a private
 * Proxmox). Each check names what is wrong and how to fix it.
 */

/** Privileges the deploy flow needs, per ACL path (docs/proxmox-api.md#permissions). */
function requiredPrivileges(
  templateVmid: number,
  storage: string,
  bridge: string,
  major: number,
): Record<string, string[]> {
  return {
    // PVE 8 checks SDN.Use on the bridge a NIC is attached to (local zone):
    // docs/proxmox-api.md#clone.
    ...(major >= 8 ? { [`/sdn/zones/localnetwork/${bridge}`]: ['SDN.Use'] } : {}),
    [`/vms/${templateVmid}`]: ['VM.Audit', 'VM.Clone'],
    '/vms': [
      'VM.Allocate',
      'VM.Audit',
      'VM.Config.CPU',
      'VM.Config.Memory',
      'VM.Config.Network',
      'VM.Config.Disk',
      'VM.Config.Cloudinit',
      'VM.Config.Options',
      'VM.PowerMgmt',
    ],
    [`/storage/${storage}`]: ['Datastore.AllocateSpace'],
  }
}

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
  try {
    const v = Version.parse(await get('/version'))
    major = Number(v.version.split('.')[0])
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

async function permissionsCheck(
  client: ProxmoxClient,
  major: number,
  signal?: AbortSignal,
): Promise<ConnectionCheck> {
  const conn = client.connection
  const missing: string[] = []
  let any = false
  for (const [path, privs] of Object.entries(
    requiredPrivileges(conn.templateVmid, conn.storage, conn.bridge, major),
  )) {
    const perms = Permissions.parse(
      await client.call('GET', '/access/permissions', { path }, signal),
    )
    const have = perms[path] ?? {}
    if (Object.keys(have).length > 0) any = true
    for (const p of privs) if (!(p in have)) missing.push(`${p} on ${path}`)
  }
  if (missing.length === 0) {
    return {
      name: 'Permissions',
      ok: true,
      message: 'the token may clone, configure, power and allocate VMs',
    }
  }
  return {
    name: 'Permissions',
    ok: false,
    message: `the token lacks ${missing.join(', ')}`,
    fix: any
      ? 'Grant the token (not only its user) the missing privileges: Datacenter → Permissions → Add → API Token Permission, e.g. role PVEVMAdmin on /vms and PVEDatastoreUser on the storage'
      : `The token has no permissions of its own. Tokens are created with "Privilege Separation" on: either untick it on ${conn.tokenId}, or add an API Token Permission for it (roles PVEVMAdmin on / and PVEDatastoreUser on /storage/${conn.storage})`,
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
