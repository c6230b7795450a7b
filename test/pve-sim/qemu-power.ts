import type { Caller, SimCluster } from './cluster'
import { die, sleep } from './engine'
import { takeTaskFault } from './qemu-config'
import type { ParamValue } from './schema'

/** Start, stop, shutdown, resize and destroy: all task endpoints, checks mostly inside (T). */

type P = Record<string, ParamValue>

const truthy = (v: ParamValue | undefined): boolean => v === true || v === '1' || v === 1

function vmTask(
  cluster: SimCluster,
  p: P,
  caller: Caller,
  type: string,
  priv: string,
  work: (vmid: number, log: (l: string) => void) => Promise<void>,
): string {
  const node = String(p.node)
  const vmid = Number(p.vmid)
  cluster.checkNode(node)
  cluster.requirePriv(caller, `/vms/${vmid}`, priv)
  return cluster.tasks.create(node, type, String(vmid), caller.tokenId, async (ctx) => {
    const release = await cluster.lockVm(vmid, true, cluster.opts.timing.lockTimeoutMs)
    try {
      await work(vmid, (l) => ctx.log(l))
      takeTaskFault(cluster, type, ctx)
    } finally {
      release()
    }
  })
}

/** POST …/status/start (docs/proxmox-api.md#power): ISO regenerated, then the guest starts. */
export function start(cluster: SimCluster, p: P, caller: Caller): string {
  return vmTask(cluster, p, caller, 'qmstart', 'VM.PowerMgmt', async (vmid, log) => {
    const vm = cluster.vm(vmid)
    if (cluster.isTemplate(vm)) throw new Error("you can't start a vm if it's a template")
    cluster.checkLock(vm)
    if (vm.running) throw new Error(`VM ${vmid} already running`)
    log('generating cloud-init ISO')
    await sleep(cluster.opts.timing.startMs)
    vm.running = true
    await cluster.opts.backend?.start(cluster.guestView(vm))
  })
}

/** POST …/status/stop: hard stop; a stopped VM ends TASK OK. */
export function stop(cluster: SimCluster, p: P, caller: Caller): string {
  return vmTask(cluster, p, caller, 'qmstop', 'VM.PowerMgmt', async (vmid) => {
    const vm = cluster.vm(vmid)
    if (!truthy(p.skiplock)) cluster.checkLock(vm)
    if (!vm.running) return
    await sleep(cluster.opts.timing.stopMs)
    await cluster.opts.backend?.stop(vmid)
    vm.running = false
  })
}

/**
 * POST …/status/shutdown: ACPI; on timeout fail, or SIGTERM with forceStop
 * (docs/proxmox-api.md#power).
 */
export function shutdown(cluster: SimCluster, p: P, caller: Caller): string {
  return vmTask(cluster, p, caller, 'qmshutdown', 'VM.PowerMgmt', async (vmid, log) => {
    const vm = cluster.vm(vmid)
    cluster.checkLock(vm)
    if (!vm.running) return
    const timeoutMs =
      (p.timeout === undefined ? 60 : Number(p.timeout)) * cluster.opts.timing.secondMs
    let result: 'stopped' | 'timeout' = 'timeout'
    if (cluster.opts.faults.acpiIgnored) await sleep(timeoutMs)
    else result = (await cluster.opts.backend?.shutdown(vmid, timeoutMs)) ?? 'stopped'
    if (result === 'timeout') {
      if (!truthy(p.forceStop)) throw new Error('VM quit/powerdown failed - got timeout')
      log('VM still running - terminating now with SIGTERM')
      await cluster.opts.backend?.stop(vmid)
    }
    vm.running = false
  })
}

function formatSize(bytes: number): string {
  for (const [unit, mult] of [
    ['T', 1024 ** 4],
    ['G', 1024 ** 3],
    ['M', 1024 ** 2],
    ['K', 1024],
  ] as const) {
    if (bytes % mult === 0) return `${bytes / mult}${unit}`
  }
  return String(bytes)
}

function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)$/.exec(s)
  const mult = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[
    (m?.[2] ?? '') as '' | 'K' | 'M' | 'G' | 'T'
  ]
  return Math.round(Number(m?.[1] ?? 0) * mult)
}

/** PUT …/resize (docs/proxmox-api.md#resize): everything checked in the task. */
export function resize(cluster: SimCluster, p: P, caller: Caller): string {
  return vmTask(cluster, p, caller, 'resize', 'VM.Config.Disk', async (vmid) => {
    const vm = cluster.vm(vmid)
    cluster.checkLock(vm)
    const disk = String(p.disk)
    const drive = vm.config[disk]
    if (drive === undefined) throw new Error(`disk '${disk}' does not exist`)
    if (/(^|,)media=cdrom(,|$)/.test(drive)) throw new Error("you can't resize a cdrom")
    const current = parseSize(/(?:^|,)size=([^,]+)/.exec(drive)?.[1] ?? '0')
    const size = String(p.size)
    const requested = size.startsWith('+') ? current + parseSize(size.slice(1)) : parseSize(size)
    if (requested < current) throw new Error('shrinking disks is not supported')
    await sleep(cluster.opts.timing.resizeMs)
    vm.config[disk] = drive.replace(/size=[^,]+/, `size=${formatSize(requested)}`)
  })
}

/**
 * DELETE /nodes/{node}/qemu/{vmid} (docs/proxmox-api.md#destroy): `lock: destroyed` while it
 * runs, config removed last.
 */
export function destroy(cluster: SimCluster, p: P, caller: Caller): string {
  const vmid = Number(p.vmid)
  cluster.checkNode(String(p.node))
  const vm = cluster.vm(vmid)
  if (vm.running) die(`VM ${vmid} is running - destroy failed`)
  return vmTask(cluster, p, caller, 'qmdestroy', 'VM.Allocate', async (id, log) => {
    const current = cluster.vm(id)
    if (!truthy(p.skiplock)) cluster.checkLock(current)
    if (current.running) throw new Error(`VM ${id} is running - destroy failed`)
    current.config.lock = 'destroyed'
    await sleep(cluster.opts.timing.destroyMs)
    await cluster.opts.backend?.destroy(id)
    log(`  Logical volume "vm-${id}-disk-0" successfully removed.`)
    if (truthy(p.purge)) log(`purging VM ${id} from related configurations..`)
    cluster.vms.delete(id)
    cluster.removeFromPools(id)
  })
}
