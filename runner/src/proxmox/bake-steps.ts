import {
  BAKE_LAYERS,
  isCurrentLayer,
  parseBakedName,
  type BakeGame,
  type BakedName,
} from '../../../core/bake'
import type { DeploymentSpec } from '../../../core/protocol'
import { TEMPLATE_TAG } from '../../../core/template'
import type { ProxmoxClient } from './client'
import { QemuList } from './template-steps'
import { assertDeploymentVm, vmStatus } from './vm-common'

/**
 * The Proxmox side of game-ready templates (core/bake.ts): which baked template a deployment
 * clones, and the bake job's last step, which turns its stopped VM into that template.
 */

interface StepCtx {
  log: (line: string) => void
  signal: AbortSignal
}

/**
 * The game-ready template a deployment of `game` clones: a template on the node named for the
 * game and the current layer version (the newest Java family when there are several), or null,
 * and then the base template with the whole playbook. Says which in the log either way.
 */
export async function findBakedTemplate(
  client: ProxmoxClient,
  game: string,
  ctx: StepCtx,
): Promise<{ vmid: number; name: string; baked: BakedName } | null> {
  if (!Object.hasOwn(BAKE_LAYERS, game)) return null
  const list = QemuList.parse(
    await client.call('GET', `/nodes/${client.node}/qemu`, {}, ctx.signal),
  )
  const baked = list.flatMap((vm) => {
    const parsed = vm.template === 1 || vm.template === true ? parseBakedName(vm.name ?? '') : null
    return parsed?.game === game ? [{ vmid: vm.vmid, name: vm.name ?? '', baked: parsed }] : []
  })
  const current = baked
    .filter((t) => isCurrentLayer(t.baked))
    .sort((a, b) => b.baked.javaMajor - a.baked.javaMajor || b.vmid - a.vmid)
  const chosen = current[0]
  if (chosen) {
    ctx.log(
      `game-ready template ${chosen.name} (VM ${chosen.vmid}, layer ${chosen.baked.layer}): Ansible skips the base layer`,
    )
    return chosen
  }
  const layer = BAKE_LAYERS[game as BakeGame]
  ctx.log(
    baked.length > 0
      ? `no current game-ready template for ${game} (layer ${layer}; out of date: ${baked.map((t) => t.name).join(', ')}): cloning the base template, full playbook`
      : `no game-ready template for ${game}: cloning the base template, full playbook`,
  )
  return null
}

/**
 * Step "seal_template" of a bake job: the stopped, sealed VM gets the template's name, the
 * template tag (so a clone is no deployment's VM until configure tags it) and a description with
 * the layer, then Proxmox converts it. Idempotent: a VM already converted is only reported.
 */
export async function sealTemplate(
  client: ProxmoxClient,
  vmid: number,
  spec: DeploymentSpec,
  ctx: StepCtx,
  taskMs: number,
): Promise<{ upid?: string; result: Record<string, unknown> }> {
  const bake = spec.bake
  if (!bake) throw new Error('step seal_template belongs to a bake job, and this job has none')
  const st = await vmStatus(client, vmid, ctx.signal)
  if (st.template === 1 || st.template === true) {
    if (st.name !== spec.name) throw new Error(`VM ${vmid} is a template of another name`)
    ctx.log(`VM ${vmid} is already the template ${spec.name}`)
    return { result: { templateVmid: vmid, name: spec.name } }
  }
  assertDeploymentVm(st, vmid, spec.deploymentId, 'convert')
  if (st.status !== 'stopped') throw new Error(`VM ${vmid} is ${st.status}, not stopped`)
  await client.call(
    'PUT',
    `/nodes/${client.node}/qemu/${vmid}/config`,
    {
      name: spec.name,
      tags: TEMPLATE_TAG,
      description: `Proxmox Game Deployer: game-ready template, ${bake.game}, Java ${bake.javaMajor}, base layer ${bake.layer}`,
    },
    ctx.signal,
  )
  const upid = await client.callTask(
    'POST',
    `/nodes/${client.node}/qemu/${vmid}/template`,
    {},
    ctx.signal,
  )
  if (upid) await client.waitTask(upid, { timeoutMs: taskMs, ...ctx })
  ctx.log(`VM ${vmid} is now the template ${spec.name}`)
  return { ...(upid ? { upid } : {}), result: { templateVmid: vmid, name: spec.name } }
}
