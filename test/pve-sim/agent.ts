import type { Caller, SimCluster } from './cluster'
import { die } from './engine'
import type { ParamValue } from './schema'

type P = Record<string, ParamValue>

/**
 * POST /nodes/{node}/qemu/{vmid}/agent/file-write: writes a file in the guest through the QEMU
 * guest agent. PVE refuses, in this order, a VM without the agent option, a stopped VM and a
 * guest whose agent does not answer (qemu-server `PVE::QemuServer::Agent::agent_available`); the
 * privilege is VM.GuestAgent.FileWrite or VM.GuestAgent.Unrestricted on the VM (the schema's
 * `permissions`). The content is at most 60 KiB (the schema's maxLength, checked before this).
 */
export async function agentFileWrite(cluster: SimCluster, p: P, caller: Caller): Promise<null> {
  const node = String(p.node)
  const vmid = Number(p.vmid)
  cluster.checkNode(node)
  const path = `/vms/${vmid}`
  if (!cluster.hasPriv(caller, path, 'VM.GuestAgent.Unrestricted')) {
    cluster.requirePriv(caller, path, 'VM.GuestAgent.FileWrite')
  }
  const vm = cluster.vms.get(vmid)
  if (!vm) die(`Configuration file 'nodes/${node}/qemu-server/${vmid}.conf' does not exist`)
  const agent = vm.config.agent ?? ''
  if (!/^(1|enabled=1)(,|$)/.test(agent)) die('No QEMU guest agent configured')
  if (!vm.running) die(`VM ${vmid} is not running`)
  const backend = cluster.opts.backend
  if (!backend?.writeFile || !backend.agentRunning?.(vmid)) die('QEMU guest agent is not running')
  const file = String(p.file)
  const content = String(p.content)
  vm.guestFiles = { ...vm.guestFiles, [file]: content }
  await backend.writeFile(vmid, file, content)
  return null
}
