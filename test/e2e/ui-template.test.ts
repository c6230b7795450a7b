import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { serveImageMirror, type ImageMirror } from '../pve-sim/image-server'
import type { PveSimulator } from '../pve-sim/index'
import { killAllRunners, startRunner, type RunnerProcess } from '../runner/harness'
import { launchBrowser, screenshot } from './browser'
import { openSignedIn, waitForRunnerOnline } from './fixtures'
import { simProxmox, startRealRunner, startSimulator } from './sim-stack'
import { ApiClient, cleanup, startStack, waitFor, type Stack } from './stack'

/**
 * "Prepare a template" end to end: wrangler dev, a runner process with the real executors, the
 * Proxmox simulator, and a local stand-in for cloud.debian.org (the mirror URL). Clicked in the
 * browser: the steps run, Settings selects the new template, and a deployment clones it. Then
 * the runner is SIGKILLed while Proxmox imports the image, and the job resumes to one template.
 */
let stack: Stack
let sim: PveSimulator
let mirror: ImageMirror
let browser: Browser
let api: ApiClient
let state = ''
let env: Record<string, string> = {}
let runner: RunnerProcess
const contexts: BrowserContext[] = []

interface TemplateJobView {
  job: { id: string; status: string } | null
  templateVmid: number | null
}

beforeAll(async () => {
  stack = await startStack()
  // The import takes long enough for the kill to land inside it.
  sim = await startSimulator({ timing: { cloneMs: 200, importMs: 1_500, downloadMs: 300 } })
  mirror = await serveImageMirror()
  browser = await launchBrowser()
  api = new ApiClient(stack.url)
  await api.ok('POST', '/api/setup', {
    username: 'admin',
    password: 'e2e admin password',
    setupCode: stack.setupCode,
  })
  await api.ok('PUT', '/api/settings/proxmox', simProxmox(sim))
  ;({ runner, state, env } = await startRealRunner(api, 'tpl-runner'))
  await waitForRunnerOnline(api)
}, 180_000)

afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close()
})

afterAll(async () => {
  await browser?.close()
  await killAllRunners()
  await mirror?.close()
  await sim?.stop()
  await stack?.stop()
  if (state) cleanup(state)
})

/** A page of the dashboard, signed in as the admin. */
const openPage = (path: string) => openSignedIn({ browser, api, contexts }, path)

const templates = () => api.ok<TemplateJobView>('GET', '/api/templates')
const vmsNamed = (name: string) =>
  [...sim.cluster.vms.values()].filter((v) => v.config.name === name)

describe('the template job', () => {
  it('prepares the template from Settings, selects it, and a deployment clones it', async () => {
    const page = await openPage('/settings')
    const card = page.locator('section.card', {
      has: page.getByRole('heading', { name: 'Cloud-init template' }),
    })
    await card.getByLabel('Debian release').selectOption('12')
    await card.getByLabel('Mirror (optional)').fill(mirror.base('12'))
    await card.getByRole('button', { name: 'Prepare the template' }).click()
    // The steps appear and run one after the other; the log shows Proxmox's download.
    await card.locator('.timeline li[data-step="download_image"]').waitFor()
    await card
      .getByText(/^Template \d+ is ready and selected in Settings\.$/)
      .waitFor({ timeout: 60_000 })
    await expect(card.locator('.timeline li.step-done').count()).resolves.toBe(4)
    await card
      .getByRole('log')
      .getByText(/downloaded and checked: local:import\/debian-12-genericcloud-amd64-/)
      .waitFor()
    await screenshot(page, '60-template-ready')

    const { templateVmid } = await templates()
    const [vm] = vmsNamed('pgd-debian-12-template')
    expect(templateVmid).toBe(vm?.vmid)
    expect(vm?.config).toMatchObject({ template: '1', tags: 'pgd-template', agent: 'enabled=1' })
    // Settings shows it selected, in the connection the deployments use.
    await expect(page.getByLabel('Template VMID', { exact: true }).inputValue()).resolves.toBe(
      String(templateVmid),
    )
    // The template job is not a game: the deployment list does not show it.
    const list = await api.ok<{ deployments: unknown[] }>('GET', '/api/deployments')
    expect(list.deployments).toHaveLength(0)

    const { deployment } = await api.ok<{ deployment: { id: string } }>(
      'POST',
      '/api/deployments',
      { name: 'on the new template', game: 'minecraft', config: { eula: true } },
    )
    await waitFor(
      async () =>
        (
          await api.ok<{ deployment: { status: string } }>(
            'GET',
            `/api/deployments/${deployment.id}`,
          )
        ).deployment.status === 'ready',
      'the deployment ready',
      90_000,
    )
    const clones = sim.requests.filter((r) => r.endpoint === 'POST /nodes/{node}/qemu/{vmid}/clone')
    expect(clones.map((r) => Number(r.params.vmid))).toEqual([templateVmid])
    const invalid = sim.requests.filter((r) => Object.keys(r.errors).length > 0)
    expect(invalid.map((r) => [r.endpoint, r.errors])).toEqual([])
  })

  it('resumes after the runner is SIGKILLed while Proxmox imports the image', async () => {
    const started = await api.ok<TemplateJobView>('POST', '/api/templates', {
      release: '13',
      mirrorUrl: mirror.base('13'),
    })
    const jobId = started.job?.id ?? ''
    // Mid-import: the VM exists with only `lock: create`, the create task is running.
    await waitFor(
      () => [...sim.cluster.vms.values()].some((v) => v.config.lock === 'create'),
      'the import under way',
      60_000,
    )
    runner.child.kill('SIGKILL')
    await runner.exited
    runner = await startRunner(['run'], env)
    await waitFor(
      async () => (await templates()).job?.status === 'ready',
      'the template job ready after the restart',
      90_000,
    )
    const view = await templates()
    expect(view.job?.id).toBe(jobId)
    // One VM, made once, now the selected template.
    const made = vmsNamed('pgd-debian-13-template')
    expect(made.map((v) => v.vmid)).toEqual([view.templateVmid])
    expect(made[0]?.config.template).toBe('1')
    const creates = sim.requests.filter(
      (r) => r.endpoint === 'POST /nodes/{node}/qemu' && r.params.name === 'pgd-debian-13-template',
    )
    expect(creates).toHaveLength(1)
    const log = await api.ok<{ lines: { text: string }[] }>(
      'GET',
      `/api/deployments/${jobId}/logs?after=0&limit=1000`,
    )
    expect(log.lines.map((l) => l.text).join('\n')).toMatch(
      /resumed at create_vm[\s\S]*is being created \(perhaps this job's, before a restart\)/,
    )
  })
})
