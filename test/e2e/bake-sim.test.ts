import { describe, expect, it } from 'vitest'
import { BAKE_LAYERS, bakedTemplateName } from '../../core/bake'
import { startRealRunner, useSimScene } from './sim-stack'
import { DashboardSocket, waitFor, type ApiClient } from './stack'

/**
 * Game-ready templates (core/bake.ts) end to end: wrangler dev + the bundled runner with the real
 * executors (simulated provisioner) + the Proxmox simulator. The bake job clones the base
 * template, runs the base layer and the seal, stops the VM and converts it under the layer's
 * name; a deployment then clones it and skips the base layer; with only an out-of-date one, a
 * deployment falls back to the base template and the whole playbook.
 */
const scene = useSimScene()

interface BakeView {
  job: { id: string; status: string; name: string; templateVmid: number | null; outOfDate: boolean }
  layers: Record<string, string>
}

/** Runs a record to its end and returns its log's text. */
async function ended(api: ApiClient, id: string): Promise<{ status: string; text: string }> {
  const dash = new DashboardSocket(api, id)
  await dash.opened()
  await waitFor(() => dash.status === 'ready' || dash.status === 'failed', `${id} ended`, 90_000)
  dash.close()
  const { lines } = await api.ok<{ lines: { text: string }[] }>(
    'GET',
    `/api/deployments/${id}/logs?after=0&limit=10000`,
  )
  return { status: dash.status ?? '', text: lines.map((l) => l.text).join('\n') }
}

async function deploy(api: ApiClient, name: string) {
  const { deployment } = await api.ok<{ deployment: { id: string } }>('POST', '/api/deployments', {
    name,
    game: 'minecraft',
    config: { eula: true },
  })
  const end = await ended(api, deployment.id)
  const { deployment: d } = await api.ok<{ deployment: { vmid: number } }>(
    'GET',
    `/api/deployments/${deployment.id}`,
  )
  return { ...end, vmid: d.vmid }
}

describe('baking a game-ready template against the simulator', () => {
  it('bakes, names and seals the template; a deployment clones it and skips the base layer', async () => {
    const { api, sim, dirs } = scene
    const { state } = await startRealRunner(api, 'bake-runner')
    dirs.push(state)
    // The simulated publisher's latest release needs Java 25.
    const name = bakedTemplateName('minecraft', 25, BAKE_LAYERS.minecraft)

    const bad = await api.request('POST', '/api/templates/bake', {
      game: 'minecraft',
      javaMajor: 8,
    })
    expect(bad.status).toBe(400)
    expect(JSON.stringify(bad.body)).toContain('javaMajor')

    const { job } = await api.ok<BakeView>('POST', '/api/templates/bake', {
      game: 'minecraft',
      javaMajor: 25,
    })
    expect(job.name).toBe(name)
    const bake = await ended(api, job.id)
    expect(bake.status, bake.text.slice(-2000)).toBe('ready')
    // The steps in order: the base layer, the seal, the stop, the conversion.
    const order = [
      'TASK [minecraft : Install Java and UFW]',
      "TASK [Clean cloud-init's state and logs]",
      'TASK [Empty the machine id]',
      "TASK [Remove the SSH host keys, the journal and D-Bus's machine id]",
      'asking the guest to shut down',
      `is now the template ${name}`,
    ].map((t) => bake.text.indexOf(t))
    expect(order.every((i) => i >= 0)).toBe(true)
    expect(order).toEqual([...order].sort((a, b) => a - b))

    // The template in Proxmox: named for the layer, converted, stopped, tagged as a template.
    const made = [...sim.cluster.vms.values()].filter((vm) => vm.config.name === name)
    expect(made).toHaveLength(1)
    const tpl = made[0]
    expect(tpl?.config).toMatchObject({ template: '1', tags: 'pgd-template' })
    expect(tpl?.config.description).toContain(`base layer ${BAKE_LAYERS.minecraft}`)
    expect(tpl?.running).toBe(false)
    // Settings shows it current; the record is not a deployment and holds no address.
    const view = await api.ok<BakeView>('GET', '/api/templates/bake')
    expect(view.job).toMatchObject({ status: 'ready', templateVmid: tpl?.vmid, outOfDate: false })
    expect(view.layers.minecraft).toBe(BAKE_LAYERS.minecraft)
    const list = await api.ok<{ deployments: { id: string }[] }>('GET', '/api/deployments')
    expect(list.deployments.map((d) => d.id)).not.toContain(job.id)
    // A deployment clones it, and the playbook skips the base layer.
    const baked = await deploy(api, 'baked world')
    expect(baked.status, baked.text.slice(-2000)).toBe('ready')
    expect(baked.text).toContain(`game-ready template ${name} (VM ${tpl?.vmid}`)
    expect(baked.text).toContain('Java 25): skipping it')
    expect(baked.text).toMatch(/TASK \[minecraft : Install the packages\][^\n]*\n[^\n]*skipping:/)
    expect(sim.cluster.vm(baked.vmid).clonedFrom).toBe(tpl?.vmid)

    // The layer moved on since (here: the template renamed to an older layer): out of date, so
    // the next deployment clones the base template and runs the whole playbook.
    const old = bakedTemplateName('minecraft', 25, '0000000000')
    if (tpl) tpl.config.name = old
    const cold = await deploy(api, 'cold world')
    expect(cold.status, cold.text.slice(-2000)).toBe('ready')
    expect(cold.text).toContain(`out of date: ${old}): cloning the base template, full playbook`)
    expect(cold.text).not.toContain('skipping it')
    expect(cold.text).not.toMatch(/Install the packages\][^\n]*\n[^\n]*skipping:/)
    expect(sim.cluster.vm(cold.vmid).clonedFrom).toBe(9000)
  }, 180_000)
})
