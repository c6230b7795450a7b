import * as z from 'zod'
import { TEMPLATE_TAG } from '../../../core/template'
import { deploymentTag, VM_TAG_PREFIX } from '../../../core/vm-spec'
import type { ProxmoxClient } from './client'
import { configLockName, errorText, isAnswerLost, isLockTimeout } from './errors'
import { FIRST_POLL_MS, backoffMs, sleep } from './wait'

/** Live log and cancel, passed to every VM step. */
export interface StepContext {
  log: (line: string) => void
  signal?: AbortSignal
}

/** How long each kind of wait may take before the step fails with a message. */
export interface VmStepTimeouts {
  /** Full clone of the template (copies the whole disk). */
  cloneMs: number
  /** Config, resize, stop, destroy tasks. */
  taskMs: number
  /** Start task (can take minutes on large-RAM VMs, docs/proxmox-api.md#power). */
  startMs: number
  /** Waiting for a persisted config lock (e.g. `clone`) to clear. */
  unlockMs: number
  /** After a 59x on the clone POST: how long to look for the VM before cloning again. */
  cloneAppearMs: number
}

export const DEFAULT_TIMEOUTS: VmStepTimeouts = {
  cloneMs: 30 * 60_000,
  taskMs: 5 * 60_000,
  startMs: 10 * 60_000,
  unlockMs: 30 * 60_000,
  cloneAppearMs: 10_000,
}

/** Retries of lock timeouts and 59x inside a step, with capped exponential backoff. */
export interface RetryPolicy {
  attempts: number
  baseMs: number
  capMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 1_000, capMs: 15_000 }

/** A step that failed, with Proxmox's own text kept for the UI. */
export class VmStepError extends Error {
  override readonly name = 'VmStepError'
  /** Read by the job frames as the failure's raw detail (runner/src/jobs/frames.ts). */
  readonly detail: string
  constructor(
    readonly step: string,
    readonly proxmoxMessage: string,
    options?: { cause?: unknown },
  ) {
    super(`${step}: ${proxmoxMessage}`, options)
    this.detail = proxmoxMessage
  }
}

/** Wrap any failure of `fn` as a {@link VmStepError} of `step` (aborts pass through). */
export async function asStep<T>(step: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof VmStepError || (err instanceof Error && err.name === 'AbortError')) throw err
    throw new VmStepError(step, errorText(err).split('\n')[0] || String(err), { cause: err })
  }
}

/**
 * Run `fn`, retrying flock timeouts, config locks and 59x (docs/proxmox-api.md#locks and
 * #proxy-errors) with backoff, at most `policy.attempts` times. Only for operations that are
 * safe to repeat.
 */
export async function retryTransient<T>(
  what: string,
  policy: RetryPolicy,
  ctx: StepContext,
  fn: () => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn()
    } catch (err) {
      // `VM is locked (…)` too: the next attempt starts by waiting for the lock to clear.
      const transient = isLockTimeout(err) || isAnswerLost(err) || configLockName(err) !== null
      if (!transient || attempt + 1 >= policy.attempts) throw err
      const delay = backoffMs(attempt, policy.baseMs, policy.capMs)
      ctx.log(`${what}: ${errorText(err).split('\n')[0]}; retry ${attempt + 1} in ${delay} ms`)
      await sleep(delay, ctx.signal)
    }
  }
}

const VmStatus = z.object({
  status: z.string(),
  lock: z.string().optional(),
  template: z.union([z.number(), z.boolean()]).optional(),
  name: z.string().optional(),
  tags: z.string().optional(),
})
export type VmStatus = z.infer<typeof VmStatus>

/**
 * `GET …/status/current`: authoritative state (not /cluster/resources, which lags:
 * docs/proxmox-api.md#cluster-resources-lag).
 */
export async function vmStatus(
  client: ProxmoxClient,
  vmid: number,
  signal?: AbortSignal,
): Promise<VmStatus> {
  return VmStatus.parse(
    await client.call('GET', `/nodes/${client.node}/qemu/${vmid}/status/current`, {}, signal),
  )
}

/**
 * Wait until the VM's persisted config lock is gone (do nothing with a clone before its task
 * ends: docs/proxmox-api.md#clone-lock; bpg's WaitForVMConfigUnlock).
 */
export async function waitUnlocked(
  client: ProxmoxClient,
  vmid: number,
  timeoutMs: number,
  ctx: StepContext,
): Promise<VmStatus> {
  const deadline = Date.now() + timeoutMs
  let logged = false
  let interval = Math.min(FIRST_POLL_MS, client.pollIntervalMs)
  for (;;) {
    const st = await vmStatus(client, vmid, ctx.signal)
    if (!st.lock) return st
    if (!logged) ctx.log(`VM ${vmid} is locked (${st.lock}); waiting for the lock to clear`)
    logged = true
    if (Date.now() > deadline) {
      throw new Error(
        `VM ${vmid} is still locked (${st.lock}) after ${Math.round(timeoutMs / 1000)} s`,
      )
    }
    await sleep(interval, ctx.signal)
    interval = Math.min(interval * 2, client.pollIntervalMs)
  }
}

export const QemuList = z.array(
  z.object({
    vmid: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]),
    name: z.string().optional(),
    tags: z.string().optional(),
    status: z.string(),
    lock: z.string().optional(),
    template: z.union([z.number(), z.boolean()]).optional(),
  }),
)

export interface FoundVm {
  vmid: number
  name: string | null
  status: string
  lock: string | null
}

/**
 * The VM of a deployment, by tag (set by configure) or by name (set by clone, before tags can
 * be). Uses `GET /nodes/{node}/qemu`, which reads each config live, unlike /cluster/resources.
 */
export async function findVmByDeployment(
  client: ProxmoxClient,
  deploymentId: string,
  ctx: StepContext,
): Promise<FoundVm | null> {
  const list = QemuList.parse(
    await client.call('GET', `/nodes/${client.node}/qemu`, {}, ctx.signal),
  )
  const matches = list.filter(
    (vm) => !(vm.template === 1 || vm.template === true) && carriesDeployment(vm, deploymentId),
  )
  matches.sort((a, b) => a.vmid - b.vmid)
  const [first, ...rest] = matches
  if (!first) return null
  if (rest.length > 0) {
    ctx.log(
      `several VMs carry deployment ${deploymentId} (${matches.map((m) => m.vmid).join(', ')}); using ${first.vmid}`,
    )
  }
  return {
    vmid: first.vmid,
    name: first.name ?? null,
    status: first.status,
    lock: first.lock ?? null,
  }
}

/**
 * Whether a VM's tags or name mark it as the VM of this deployment: the tag once configured, or
 * the name `gs-…-<id>` that clone sets (tags cannot be set by clone).
 */
export function carriesDeployment(
  st: { name?: string; tags?: string },
  deploymentId: string,
): boolean {
  const tags = (st.tags ?? '').toLowerCase().split(/[;, ]/)
  const name = (st.name ?? '').toLowerCase()
  return (
    tags.includes(deploymentTag(deploymentId)) ||
    (name.startsWith('gs-') && name.endsWith(`-${deploymentId.toLowerCase()}`))
  )
}

/**
 * Why `vmid` may not be touched as the VM of `deploymentId`, or null when it may: a template
 * never, another VM only when its tag or name names the deployment ({@link carriesDeployment}).
 * The one check before every step that acts on an existing VM (start, shutdown, stop,
 * configure, resize, destroy): a saved VM id that was freed and reused by someone else's VM must
 * never be acted on. `action` completes "refusing to … it".
 */
export function notDeploymentVm(
  st: { name?: string; tags?: string; template?: number | boolean },
  vmid: number,
  deploymentId: string,
  action: string,
): string | null {
  if (st.template === 1 || st.template === true) {
    return `VM ${vmid} is a template; refusing to ${action} it`
  }
  if (carriesDeployment(st, deploymentId)) return null
  const name = st.name ? `named "${st.name}"` : 'without a name'
  const tags = st.tags ? `tags "${st.tags}"` : 'no tags'
  return `VM ${vmid} is not the VM of deployment ${deploymentId}: it is ${name}, with ${tags}; refusing to ${action} it`
}

/** Throws {@link notDeploymentVm}'s reason, if any. */
export function assertDeploymentVm(
  st: { name?: string; tags?: string; template?: number | boolean },
  vmid: number,
  deploymentId: string,
  action: string,
): void {
  const why = notDeploymentVm(st, vmid, deploymentId, action)
  if (why) throw new Error(why)
}

/** The tag every VM of this product carries (besides its `pgd-<deployment>` tag). */
export const PRODUCT_TAG = 'pgd'
const UUID_AT_END = /-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/

/**
 * Whether a VM is one of this product's (its tags, or the `gs-…-<uuid>` name clone gives it
 * before configure tags it), and the deployment it names. Templates never are.
 */
export function productVmOf(vm: {
  name?: string
  tags?: string
  template?: number | boolean
}): { deploymentId: string | null } | null {
  if (vm.template === 1 || vm.template === true) return null
  const tags = (vm.tags ?? '').toLowerCase().split(/[;, ]/)
  // A template the template job is still making: that job finishes or removes it.
  if (tags.includes(TEMPLATE_TAG)) return null
  const tagged = tags.find((t) => t.startsWith(VM_TAG_PREFIX) && t.length > VM_TAG_PREFIX.length)
  if (tagged) return { deploymentId: tagged.slice(VM_TAG_PREFIX.length) }
  const name = (vm.name ?? '').toLowerCase()
  const byName = name.startsWith('gs-') ? UUID_AT_END.exec(name) : null
  if (byName?.[1]) return { deploymentId: byName[1] }
  return tags.includes(PRODUCT_TAG) ? { deploymentId: null } : null
}

/** Every VM of this product on the node, for the sweep. */
export async function listProductVms(
  client: ProxmoxClient,
  signal?: AbortSignal,
): Promise<{ vmid: number; name: string | null; status: string; deploymentId: string | null }[]> {
  const list = QemuList.parse(await client.call('GET', `/nodes/${client.node}/qemu`, {}, signal))
  const out = []
  for (const vm of list) {
    const of = productVmOf(vm)
    if (of) out.push({ vmid: vm.vmid, name: vm.name ?? null, status: vm.status, ...of })
  }
  return out.sort((a, b) => a.vmid - b.vmid)
}
