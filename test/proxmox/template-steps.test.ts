import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { TemplateRequest } from '../../core/template'
import {
  createVm,
  downloadImage,
  imageChecksum,
  makeTemplate,
  type TemplateTimeouts,
} from '../../runner/src/proxmox/template-steps'
import { serveImageMirror, type ImageMirror } from '../pve-sim/image-server'
import { requiredGrants } from '../../core/proxmox-privileges'
import { templateJobGrants } from '../../core/template-privileges'
import { ProxmoxClient } from '../../runner/src/proxmox/client'
import type { SimToken } from '../pve-sim/index'
import { FAST, connectionFor, startHarness, type Harness } from './helpers'

const TIMEOUTS: TemplateTimeouts = {
  fetchMs: 5_000,
  downloadMs: 10_000,
  importMs: 10_000,
  taskMs: 10_000,
}

describe('the template job steps against the simulator', () => {
  let h: Harness
  let mirror: ImageMirror
  const lines: string[] = []
  const ctx = { log: (l: string) => lines.push(l), signal: new AbortController().signal }

  beforeAll(async () => {
    mirror = await serveImageMirror()
  })
  beforeEach(async () => {
    await h?.close()
    h = await startHarness()
    lines.length = 0
  })
  afterAll(async () => {
    await h?.close()
    await mirror.close()
  })

  const req = (release: '12' | '13' = '12') =>
    TemplateRequest.parse({ release, mirrorUrl: mirror.base(release) })

  async function runAll(r = req()) {
    await imageChecksum(h.steps.client, r, ctx, TIMEOUTS)
    await downloadImage(h.steps.client, r, ctx, TIMEOUTS)
    await createVm(h.steps.client, h.conn, r, ctx, TIMEOUTS)
    return makeTemplate(h.steps.client, r, ctx, TIMEOUTS)
  }

  it('builds a cloud-init template from the image, checked against the published SHA-512', async () => {
    const { result } = await runAll()
    const vmid = result.templateVmid as number
    const vm = h.sim.cluster.vms.get(vmid)
    expect(vm?.config).toMatchObject({
      name: 'pgd-debian-12-template',
      tags: 'pgd-template',
      template: '1',
      scsihw: 'virtio-scsi-single',
      serial0: 'socket',
      vga: 'serial0',
      agent: 'enabled=1',
      boot: 'order=scsi0',
    })
    expect(vm?.config.scsi0).toMatch(/^local-lvm:base-\d+-disk-0,discard=on,size=3G$/)
    expect(vm?.config.ide2).toMatch(/^local-lvm:base-\d+-cloudinit,media=cdrom$/)
    // The image on the node is the mirror's, named after its checksum.
    const sha = mirror.image('12').sha512
    const vol = h.sim.cluster.volumes.get(
      `local:import/debian-12-genericcloud-amd64-${sha.slice(0, 12)}.qcow2`,
    )
    expect(vol?.bytes.equals(mirror.image('12').bytes)).toBe(true)
    // A deployment can clone it.
    const clone = await h.steps.client.callTask(
      'POST',
      `/nodes/${h.conn.node}/qemu/${vmid}/clone`,
      { newid: 4242, name: 'from-template', full: 1 },
    )
    await h.steps.client.waitTask(clone ?? '', { timeoutMs: 10_000 })
    expect(h.sim.cluster.vms.get(4242)?.config.ide2).toMatch(/cloudinit/)
  })

  it('does nothing on a second run, and the template stays the same', async () => {
    const first = await runAll()
    const tasks = h.sim.cluster.tasks.all().length
    const second = await runAll()
    expect(second.result.templateVmid).toBe(first.result.templateVmid)
    expect(h.sim.cluster.tasks.all().length).toBe(tasks)
    expect(lines.join('\n')).toContain('already exists: nothing to download')
  })

  it('fails the download with Proxmox’s words when the checksum does not match', async () => {
    mirror.setPublishedSum('13', 'ab'.repeat(64))
    try {
      const r = req('13')
      await imageChecksum(h.steps.client, r, ctx, TIMEOUTS)
      await expect(downloadImage(h.steps.client, r, ctx, TIMEOUTS)).rejects.toThrow(
        `checksum mismatch: got '${mirror.image('13').sha512}' != expect '${'ab'.repeat(64)}'`,
      )
      expect([...h.sim.cluster.volumes.keys()]).toEqual([])
    } finally {
      mirror.setPublishedSum('13', null)
    }
  })

  it('names what is missing when the release is not in SHA512SUMS', async () => {
    const r = TemplateRequest.parse({ release: '12', mirrorUrl: mirror.base('13') })
    await expect(imageChecksum(h.steps.client, r, ctx, TIMEOUTS)).rejects.toThrow(
      `debian-12-genericcloud-amd64.qcow2 is not listed in ${mirror.base('13')}SHA512SUMS`,
    )
  })

  it('finishes a half-made template: a VM created from the image but not converted', async () => {
    const r = req()
    await imageChecksum(h.steps.client, r, ctx, TIMEOUTS)
    await downloadImage(h.steps.client, r, ctx, TIMEOUTS)
    await createVm(h.steps.client, h.conn, r, ctx, TIMEOUTS)
    const before = [...h.sim.cluster.vms.keys()]
    // The job starts over (a retry): nothing is made twice.
    const { result } = await runAll(r)
    expect([...h.sim.cluster.vms.keys()]).toEqual(before)
    expect(h.sim.cluster.vms.get(result.templateVmid as number)?.config.template).toBe('1')
    expect(lines.join('\n')).toContain('not yet a template: finishing it')
  })

  it('waits for a download still running (the runner restarted mid-download) instead of starting a second', async () => {
    h.sim.cluster.opts.timing.downloadMs = 600
    const r = req()
    await imageChecksum(h.steps.client, r, ctx, TIMEOUTS)
    const stop = new AbortController()
    const first = downloadImage(h.steps.client, r, { ...ctx, signal: stop.signal }, TIMEOUTS)
    const downloads = () =>
      h.sim.requests.filter((q) => q.endpoint?.endsWith('/download-url') && q.method === 'POST')
    await expect.poll(() => downloads().length).toBe(1)
    // The runner dies while Proxmox downloads: the task goes on without it.
    stop.abort(new Error('runner killed'))
    await expect(first).rejects.toThrow()
    await downloadImage(h.steps.client, r, ctx, TIMEOUTS)
    expect(downloads()).toHaveLength(1)
    expect(lines.join('\n')).toContain('is already under way (before a runner restart): waiting')
    await createVm(h.steps.client, h.conn, r, ctx, TIMEOUTS)
  })

  it('waits for a create still importing (the runner restarted mid-import) instead of making a second VM', async () => {
    h.sim.cluster.opts.timing.importMs = 600
    const r = req()
    await imageChecksum(h.steps.client, r, ctx, TIMEOUTS)
    await downloadImage(h.steps.client, r, ctx, TIMEOUTS)
    const stop = new AbortController()
    const first = createVm(h.steps.client, h.conn, r, { ...ctx, signal: stop.signal }, TIMEOUTS)
    // The runner dies while Proxmox imports: the create task goes on without it.
    await expect
      .poll(() => [...h.sim.cluster.vms.values()].some((v) => v.config.lock === 'create'))
      .toBe(true)
    stop.abort(new Error('runner killed'))
    await expect(first).rejects.toThrow()
    await createVm(h.steps.client, h.conn, r, ctx, TIMEOUTS)
    const { result } = await makeTemplate(h.steps.client, r, ctx, TIMEOUTS)
    const ours = [...h.sim.cluster.vms.values()].filter((v) => v.vmid !== 9000)
    expect(ours.map((v) => v.vmid)).toEqual([result.templateVmid])
    expect(lines.join('\n')).toContain("is being created (perhaps this job's, before a restart)")
  })

  it('works with the documented grants only, and without the one-time ones names what is missing', async () => {
    // 0: the deployments' grants; 1: plus the image storage and the node; 2: all the job needs.
    const token = (level: 0 | 1 | 2): SimToken => {
      const privileges: Record<string, string[]> = {}
      const scope = { pool: 'pgd', templateVmid: 9000, storage: 'local-lvm', bridge: 'vmbr0' }
      for (const g of requiredGrants(scope)) privileges[g.path] = [...g.privileges]
      // The one-time grants docs/proxmox-token.md gives: all of them, or all but the VM's.
      const extra = templateJobGrants({ node: 'pve1', imageStorage: 'local', pool: 'pgd' })
      for (const g of extra.filter(
        (g) => level === 2 || (level === 1 && g.role !== 'PGDTemplateBuild'),
      ))
        privileges[g.path] = [...(privileges[g.path] ?? []), ...g.privileges]
      return { tokenId: `pgd@pve!t${level}`, secret: `s-${level}`, privileges }
    }
    await h.close()
    h = await startHarness({
      node: 'pve1',
      tokens: [
        { tokenId: 'root@pam!admin', secret: 'admin-secret', privileges: 'all' },
        token(0),
        token(1),
        token(2),
      ],
    })
    const clientOf = (level: 0 | 1 | 2) => {
      const t = token(level)
      const conn = connectionFor(h.sim, { tokenId: t.tokenId, tokenSecret: t.secret })
      return { conn, client: new ProxmoxClient(conn, FAST) }
    }
    const r = req()
    const bare = clientOf(0)
    await expect(downloadImage(bare.client, r, ctx, TIMEOUTS)).rejects.toThrow(
      'Permission check failed (/storage/local, Datastore.Audit)',
    )
    const partly = clientOf(1)
    await imageChecksum(partly.client, r, ctx, TIMEOUTS)
    await downloadImage(partly.client, r, ctx, TIMEOUTS)
    await expect(createVm(partly.client, partly.conn, r, ctx, TIMEOUTS)).rejects.toThrow(
      /Permission check failed \(\/vms\/\d+, VM\.Config\.HWType\)/,
    )
    const granted = clientOf(2)
    await createVm(granted.client, granted.conn, r, ctx, TIMEOUTS)
    const { result } = await makeTemplate(granted.client, r, ctx, TIMEOUTS)
    expect(h.sim.cluster.poolOf(result.templateVmid as number)).toBe('pgd')
    bare.client.close()
    partly.client.close()
    granted.client.close()
  })
})
