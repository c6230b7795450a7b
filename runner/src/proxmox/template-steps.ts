import * as z from 'zod'
import type { ProxmoxConnection } from '../../../core/settings'
import {
  DEBIAN_RELEASES,
  TEMPLATE_TAG,
  imageBase,
  imageFileName,
  sha512Of,
  storedImageName,
  templateVmName,
  type TemplateRequest,
} from '../../../core/template'
import type { ProxmoxClient } from './client'
import { errorText } from './errors'
import { sleep } from './wait'

/**
 * The template job's steps (core/template.ts), against the Proxmox API. Each one is safe to run
 * again after a crash: it first looks at what Proxmox holds (the image on the storage, a VM named
 * and tagged as this product's template) and only does what is missing.
 */

export interface TemplateStepContext {
  log: (line: string) => void
  signal: AbortSignal
}

export interface TemplateTimeouts {
  /** Fetching SHA512SUMS. */
  fetchMs: number
  /** Proxmox's download of the image onto the node. */
  downloadMs: number
  /** The create task, which imports the image into the VM's disk. */
  importMs: number
  /** Other tasks (convert to template, delete a broken half-made VM). */
  taskMs: number
}

export const DEFAULT_TEMPLATE_TIMEOUTS: TemplateTimeouts = {
  fetchMs: 60_000,
  downloadMs: 55 * 60_000,
  importMs: 25 * 60_000,
  taskMs: 5 * 60_000,
}

/** SHA512SUMS is a few KB; anything much larger is not it. */
const MAX_SUMS_BYTES = 1024 * 1024

class TemplateStepError extends Error {
  override readonly name = 'TemplateStepError'
  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message)
  }
}

/** The image and its published SHA-512, read from SHA512SUMS beside it. */
export async function publishedImage(
  req: TemplateRequest,
  ctx: TemplateStepContext,
  fetchMs: number,
): Promise<{ url: string; file: string; sha512: string }> {
  const base = imageBase(req)
  const file = imageFileName(req.release)
  const sumsUrl = new URL('SHA512SUMS', base).href
  let text: string
  try {
    const res = await fetch(sumsUrl, {
      signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(fetchMs)]),
      redirect: 'follow',
    })
    if (!res.ok) {
      throw new TemplateStepError(`${sumsUrl} answered HTTP ${res.status}`)
    }
    text = await res.text()
  } catch (err) {
    ctx.signal.throwIfAborted()
    if (err instanceof TemplateStepError) throw err
    throw new TemplateStepError(`could not read ${sumsUrl}: ${errorText(err)}`)
  }
  if (text.length > MAX_SUMS_BYTES) {
    throw new TemplateStepError(`${sumsUrl} is larger than a checksum list should be`)
  }
  const sha512 = sha512Of(text, file)
  if (!sha512) throw new TemplateStepError(`${file} is not listed in ${sumsUrl}`)
  return { url: new URL(file, base).href, file, sha512 }
}

const ContentList = z.array(
  z.object({ volid: z.string(), ctime: z.number().optional(), size: z.number().optional() }),
)

/** Proxmox's VM list, as the template and bake steps read it (not the watch: answers.ts). */
export const QemuList = z.array(
  z.object({
    vmid: z.coerce.number(),
    name: z.string().optional(),
    tags: z.string().optional(),
    lock: z.string().optional(),
    template: z.union([z.number(), z.boolean()]).optional(),
  }),
)
type QemuEntry = z.infer<typeof QemuList>[number]

const isTemplate = (vm: QemuEntry): boolean => vm.template === 1 || vm.template === true

/** This product's template VM of `release`, whole or half-made: by its name and its tag. */
async function findTemplateVm(
  client: ProxmoxClient,
  req: TemplateRequest,
  signal: AbortSignal,
): Promise<{ ours: QemuEntry | null; creating: QemuEntry[] }> {
  const list = QemuList.parse(await client.call('GET', `/nodes/${client.node}/qemu`, {}, signal))
  const name = templateVmName(req.release)
  const ours = list
    .filter((vm) => vm.name === name && (vm.tags ?? '').split(/[;, ]/).includes(TEMPLATE_TAG))
    .sort((a, b) => Number(isTemplate(b)) - Number(isTemplate(a)) || a.vmid - b.vmid)
  // A VM still being created has only `lock: create` in its config: name and tags come when
  // its create task ends (qemu-server `create_vm`).
  const creating = list.filter((vm) => vm.lock === 'create' && !vm.name)
  return { ours: ours[0] ?? null, creating }
}

/** The image files of `release` on the image storage, newest first. */
async function storedImages(
  client: ProxmoxClient,
  req: TemplateRequest,
  signal: AbortSignal,
): Promise<string[]> {
  const raw = await client.call(
    'GET',
    `/nodes/${client.node}/storage/${encodeURIComponent(req.imageStorage)}/content`,
    { content: 'import' },
    signal,
  )
  const pattern = new RegExp(
    `:import/debian-${req.release}-genericcloud-amd64-[0-9a-f]{12}\\.qcow2$`,
  )
  return ContentList.parse(raw)
    .filter((v) => pattern.test(v.volid))
    .sort((a, b) => (b.ctime ?? 0) - (a.ctime ?? 0))
    .map((v) => v.volid)
}

/** The finished template, when there is one: then the job has nothing left to make. */
async function existingTemplate(
  client: ProxmoxClient,
  req: TemplateRequest,
  ctx: TemplateStepContext,
): Promise<QemuEntry | null> {
  const { ours } = await findTemplateVm(client, req, ctx.signal)
  if (!ours || !isTemplate(ours)) return null
  ctx.log(`template ${ours.vmid} (${ours.name}) already exists: nothing to download`)
  return ours
}

export async function imageChecksum(
  client: ProxmoxClient,
  req: TemplateRequest,
  ctx: TemplateStepContext,
  timeouts: TemplateTimeouts,
): Promise<void> {
  if (await existingTemplate(client, req, ctx)) return
  const img = await publishedImage(req, ctx, timeouts.fetchMs)
  ctx.log(
    `Debian ${req.release} (${DEBIAN_RELEASES[req.release]}): ${img.url}, SHA-512 ${img.sha512.slice(0, 16)}…`,
  )
}

/** Proxmox downloads the image onto the node and checks it against the published SHA-512. */
export async function downloadImage(
  client: ProxmoxClient,
  req: TemplateRequest,
  ctx: TemplateStepContext,
  timeouts: TemplateTimeouts,
): Promise<{ upid?: string }> {
  if (await existingTemplate(client, req, ctx)) return {}
  // Read again rather than carried over: it is small, and a resumed job must not trust a
  // checksum it cannot show came from Debian.
  const img = await publishedImage(req, ctx, timeouts.fetchMs)
  const filename = storedImageName(req.release, img.sha512)
  const volid = `${req.imageStorage}:import/${filename}`
  if ((await storedImages(client, req, ctx.signal)).includes(volid)) {
    ctx.log(`${volid} is already on node ${client.node}`)
    return {}
  }
  // A download this job started before a runner restart is still going: wait for it, not twice.
  const running = await activeDownload(client, filename, ctx.signal)
  if (running) {
    ctx.log(`the download of ${volid} is already under way (before a runner restart): waiting`)
    await client.waitTask(running, { timeoutMs: timeouts.downloadMs, ...ctx })
    if ((await storedImages(client, req, ctx.signal)).includes(volid)) {
      ctx.log(`downloaded and checked: ${volid}`)
      return { upid: running }
    }
  }
  ctx.log(`Proxmox downloads ${img.url} to ${volid}`)
  const upid = await client.callTask(
    'POST',
    `/nodes/${client.node}/storage/${encodeURIComponent(req.imageStorage)}/download-url`,
    {
      url: img.url,
      content: 'import',
      filename,
      checksum: img.sha512,
      'checksum-algorithm': 'sha512',
    },
    ctx.signal,
  )
  if (upid) await client.waitTask(upid, { timeoutMs: timeouts.downloadMs, ...ctx })
  ctx.log(`downloaded and checked: ${volid}`)
  return upid ? { upid } : {}
}

const TaskList = z.array(
  z.object({ upid: z.string(), type: z.string(), id: z.string(), status: z.string().optional() }),
)

/** The UPID of a download of `filename` still running on the node (the token's own tasks). */
async function activeDownload(
  client: ProxmoxClient,
  filename: string,
  signal: AbortSignal,
): Promise<string | null> {
  const raw = await client.call(
    'GET',
    `/nodes/${client.node}/tasks`,
    { source: 'active', typefilter: 'download' },
    signal,
  )
  return TaskList.parse(raw).find((t) => t.id === filename)?.upid ?? null
}

/** Wait until no VM is being created any more (bounded): one of them may be ours. */
async function waitCreates(
  client: ProxmoxClient,
  req: TemplateRequest,
  ctx: TemplateStepContext,
  timeoutMs: number,
): Promise<QemuEntry | null> {
  const deadline = Date.now() + timeoutMs
  for (let wait = 250; ; wait = Math.min(wait * 2, client.pollIntervalMs * 2)) {
    const found = await findTemplateVm(client, req, ctx.signal)
    if (found.ours || found.creating.length === 0) return found.ours
    if (Date.now() > deadline) {
      throw new TemplateStepError(
        `VM ${found.creating.map((v) => v.vmid).join(', ')} still being created after ${Math.round(timeoutMs / 1000)} s`,
      )
    }
    await sleep(wait, ctx.signal)
  }
}

/**
 * Create the template's VM with the image imported as its disk, unless it exists. A half-made
 * VM without its disk (a create that was stopped another way) is removed and made again.
 */
export async function createVm(
  client: ProxmoxClient,
  conn: ProxmoxConnection,
  req: TemplateRequest,
  ctx: TemplateStepContext,
  timeouts: TemplateTimeouts,
): Promise<{ upid?: string }> {
  const found = await findTemplateVm(client, req, ctx.signal)
  const creating = found.creating
  let ours = found.ours
  if (!ours && creating.length > 0) {
    ctx.log(
      `VM ${creating.map((v) => v.vmid).join(', ')} is being created (perhaps this job's, before a restart): waiting for it`,
    )
    ours = await waitCreates(client, req, ctx, timeouts.importMs)
  }
  if (ours) {
    if (isTemplate(ours)) {
      ctx.log(`template ${ours.vmid} (${ours.name}) already exists`)
      return {}
    }
    const config = (await client.call(
      'GET',
      `/nodes/${client.node}/qemu/${ours.vmid}/config`,
      {},
      ctx.signal,
    )) as Record<string, unknown>
    if (typeof config.scsi0 === 'string' && !config.lock) {
      ctx.log(`VM ${ours.vmid} exists with its disk, not yet a template: finishing it`)
      return {}
    }
    ctx.log(`VM ${ours.vmid} is half-made (no disk): removing it and making it again`)
    const upid = await client.callTask(
      'DELETE',
      `/nodes/${client.node}/qemu/${ours.vmid}`,
      { purge: 1, 'destroy-unreferenced-disks': 1 },
      ctx.signal,
    )
    if (upid) await client.waitTask(upid, { timeoutMs: timeouts.taskMs, ...ctx })
  }
  const [volid] = await storedImages(client, req, ctx.signal)
  if (!volid) throw new TemplateStepError(`no Debian ${req.release} image on ${req.imageStorage}`)
  const params = {
    name: templateVmName(req.release),
    tags: TEMPLATE_TAG,
    description: `Debian ${req.release} cloud image (${volid}), made by Proxmox Game Deployer`,
    ostype: 'l26',
    cores: 2,
    memory: '2048',
    scsihw: 'virtio-scsi-single',
    scsi0: `${conn.storage}:0,import-from=${volid},discard=on`,
    ide2: `${conn.storage}:cloudinit`,
    boot: 'order=scsi0',
    serial0: 'socket',
    vga: 'serial0',
    agent: 'enabled=1',
    net0: `virtio,bridge=${conn.bridge}${conn.vlan ? `,tag=${conn.vlan}` : ''}`,
    ...(conn.pool ? { pool: conn.pool } : {}),
  }
  // nextid reserves nothing (docs/proxmox-api.md#nextid-race): a lost race is tried again.
  for (let attempt = 1; ; attempt++) {
    const vmid = await client.nextId(undefined, ctx.signal)
    try {
      ctx.log(`creating VM ${vmid} from ${volid} on ${conn.storage}`)
      const upid = await client.callTask(
        'POST',
        `/nodes/${client.node}/qemu`,
        { vmid, ...params },
        ctx.signal,
      )
      if (upid) await client.waitTask(upid, { timeoutMs: timeouts.importMs, ...ctx })
      ctx.log(`VM ${vmid} created with the image imported as its disk`)
      return upid ? { upid } : {}
    } catch (err) {
      if (attempt >= 5 || !/already exists/.test(errorText(err))) throw err
      ctx.log(`VM id ${vmid} was taken meanwhile; trying the next free one`)
    }
  }
}

/** Convert the VM to a template; its VM id is what deployments clone from now on. */
export async function makeTemplate(
  client: ProxmoxClient,
  req: TemplateRequest,
  ctx: TemplateStepContext,
  timeouts: TemplateTimeouts,
): Promise<{ upid?: string; result: Record<string, unknown> }> {
  const { ours } = await findTemplateVm(client, req, ctx.signal)
  if (!ours) {
    throw new TemplateStepError(
      `no VM named ${templateVmName(req.release)} to convert: run the job again to create it`,
    )
  }
  let upid: string | null = null
  if (isTemplate(ours)) ctx.log(`VM ${ours.vmid} is already a template`)
  else {
    upid = await client.callTask(
      'POST',
      `/nodes/${client.node}/qemu/${ours.vmid}/template`,
      {},
      ctx.signal,
    )
    if (upid) await client.waitTask(upid, { timeoutMs: timeouts.taskMs, ...ctx })
    ctx.log(`VM ${ours.vmid} is now a template`)
  }
  return {
    ...(upid ? { upid } : {}),
    result: { templateVmid: ours.vmid, name: ours.name ?? null, release: req.release },
  }
}
