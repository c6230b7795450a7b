import { access, mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import {
  QemuVm,
  SLIRP,
  createOverlay,
  freePort,
  readSshBanner,
  writeSeed,
  type Forward,
  type VmImage,
} from '../vm/qemu'
import type { ShutdownResult, SimGuest, VmBackend } from './backend'

/**
 * The `qemu` backend: a started VM is a real Debian cloud-init guest under qemu (TCG), booted
 * from the cached template (test/vm/build-image.sh) with the NoCloud seed PVE would generate from
 * the `ciuser` / `sshkeys` the runner sent (`SimGuest.cloudInit`). Its disk is a qcow2 overlay of
 * the template, made at the first start and kept until destroy, as a Proxmox linked clone.
 *
 * The one deliberate difference from PVE is the network. A PVE guest takes the `ipconfig0`
 * address on a bridge; here the guest sits behind qemu user-mode networking (slirp,
 * `restrict=on`: no route anywhere) at slirp's 10.0.2.15/24, gateway 10.0.2.2 (which is how the
 * runner's host looks from inside: RUNNER_ADDRESS), and the `ipconfig0` address, which must be in
 * 127.0.0.0/8, is mapped onto it with hostfwd rules: `ip:sshPort` → guest 22 and `ip:p` → guest
 * `p` for every port in `ports`. The network-config in the seed is therefore written for slirp,
 * not taken from `ipconfig0`; user-data and meta-data are PVE's.
 *
 * The mapping is added only once the guest's sshd answers (probed through a private forward on
 * 127.0.0.1): slirp accepts connections on a hostfwd port before the guest is up, whereas an
 * address on a real network refuses or ignores them until the guest boots. So the runner's SSH
 * wait sees what it would see against PVE.
 */

export interface QemuBackendOptions {
  image: VmImage
  /** VM folders (disk, seed, serial log, monitor socket) go here, one per VMID. */
  workDir: string
  /** Guest TCP ports also forwarded from the VM's address, on the same port number. */
  ports: number[]
  /** How long a guest gets to bring sshd up before the backend stops waiting for it. */
  bootTimeoutMs?: number
  log?: (line: string) => void
}

interface Running {
  vm: QemuVm
  /** The background wait for sshd, then the forwards; stopped by `abort`. */
  ready: Promise<void>
  abort: AbortController
}

const BANNER_PROBE_MS = 10_000
const PROBE_PAUSE_MS = 2_000

export class QemuBackend implements VmBackend {
  readonly kind = 'qemu'
  private readonly running = new Map<number, Running>()
  private readonly log: (line: string) => void

  constructor(private readonly options: QemuBackendOptions) {
    this.log = options.log ?? (() => {})
  }

  private dirOf(vmid: number): string {
    return join(this.options.workDir, `vm-${vmid}`)
  }

  /** The qemu process id of a running VM (tests check it is gone after a destroy). */
  pidOf(vmid: number): number | undefined {
    return this.running.get(vmid)?.vm.pid
  }

  /** The end of a running VM's serial console, for failure messages. */
  async serialTail(vmid: number, lines = 40): Promise<string> {
    return (await this.running.get(vmid)?.vm.serialTail(lines)) ?? ''
  }

  async start(guest: SimGuest): Promise<void> {
    await this.stop(guest.vmid)
    const address = guest.ipv4?.address
    if (!address?.startsWith('127.')) {
      // The network rule: a simulated guest is only ever reachable on loopback.
      throw new Error(`qemu backend: VM ${guest.vmid} needs an ipconfig0 address in 127.0.0.0/8`)
    }
    const dir = this.dirOf(guest.vmid)
    await mkdir(dir, { recursive: true })
    const disk = join(dir, 'disk.qcow2')
    if (!(await exists(disk))) {
      // A clone of a template that ran here first (a game-ready one, baked from a clone of the
      // image) layers on that template's disk, as a Proxmox linked clone on its base volume.
      const source =
        guest.clonedFrom === null ? null : join(this.dirOf(guest.clonedFrom), 'disk.qcow2')
      const backing = source && (await exists(source)) ? source : this.options.image.qcow2
      await createOverlay(this.options.image, disk, guest.diskBytes, backing)
      if (backing !== this.options.image.qcow2)
        this.log(`qemu backend: VM ${guest.vmid}'s disk layers on VM ${guest.clonedFrom}'s`)
    }
    const mac = (guest.macaddr ?? macFor(guest.vmid)).toLowerCase()
    // PVE regenerates the cloud-init ISO at every start; so does this.
    const seedIso = await writeSeed(join(dir, 'seed'), {
      userData: guest.cloudInit.userData,
      metaData: guest.cloudInit.metaData,
      networkConfig: slirpNetworkConfig(mac),
    })
    const probe: Forward = { hostAddress: '127.0.0.1', hostPort: await freePort(), guestPort: 22 }
    const vm = await QemuVm.boot({
      image: this.options.image,
      dir,
      disk,
      seedIso,
      mac,
      memoryMb: guest.memoryMiB,
      cpus: guest.cores,
      forwards: [probe],
    })
    this.log(`qemu backend: VM ${guest.vmid} started (pid ${vm.pid}), waiting for its sshd`)
    const forwards: Forward[] = [
      { hostAddress: address, hostPort: guest.sshPort, guestPort: 22 },
      ...this.options.ports.map((p) => ({ hostAddress: address, hostPort: p, guestPort: p })),
    ]
    const abort = new AbortController()
    const ready = this.mapWhenUp(guest.vmid, vm, probe, forwards, abort.signal).catch((err) =>
      this.log(`qemu backend: VM ${guest.vmid}: ${err instanceof Error ? err.message : err}`),
    )
    this.running.set(guest.vmid, { vm, ready, abort })
  }

  /** Waits (bounded) for sshd through the private forward, then maps the VM's address. */
  private async mapWhenUp(
    vmid: number,
    vm: QemuVm,
    probe: Forward,
    forwards: Forward[],
    signal: AbortSignal,
  ): Promise<void> {
    const started = Date.now()
    const timeoutMs = this.options.bootTimeoutMs ?? 15 * 60_000
    const deadline = started + timeoutMs
    const maxAttempts = Math.ceil(timeoutMs / PROBE_PAUSE_MS)
    for (let attempt = 1; attempt <= maxAttempts && Date.now() < deadline; attempt++) {
      if (signal.aborted || !vm.running) return
      const banner = await readSshBanner(probe.hostAddress, probe.hostPort, BANNER_PROBE_MS)
      if (signal.aborted || !vm.running) return
      if (banner) {
        for (const f of forwards) await vm.addForward(f)
        const where = forwards.map((f) => `${f.hostAddress}:${f.hostPort}→${f.guestPort}`)
        this.log(
          `qemu backend: VM ${vmid} sshd up after ${Math.round((Date.now() - started) / 1000)} s (${banner}); forwarding ${where.join(', ')}`,
        )
        return
      }
      await new Promise((r) => setTimeout(r, PROBE_PAUSE_MS))
    }
    throw new Error(`no sshd within the boot timeout:\n${await vm.serialTail()}`)
  }

  async stop(vmid: number): Promise<void> {
    const entry = this.running.get(vmid)
    if (!entry) return
    this.running.delete(vmid)
    entry.abort.abort()
    await entry.vm.kill()
    await entry.ready
  }

  async shutdown(vmid: number, timeoutMs: number): Promise<ShutdownResult> {
    const entry = this.running.get(vmid)
    if (!entry) return 'stopped'
    if (!(await entry.vm.acpiShutdown(timeoutMs))) return 'timeout'
    await this.stop(vmid)
    return 'stopped'
  }

  async destroy(vmid: number): Promise<void> {
    await this.stop(vmid)
    await rm(this.dirOf(vmid), { recursive: true, force: true })
  }

  async close(): Promise<void> {
    await Promise.all([...this.running.keys()].map((id) => this.stop(id)))
  }
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  )
}

/** A MAC in Proxmox's BC:24:11 prefix, derived from the VMID, when net0 has none. */
function macFor(vmid: number): string {
  const hex = vmid.toString(16).padStart(6, '0').slice(-6)
  return `bc:24:11:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`
}

/** network-config v1 for slirp (see the class comment): PVE's shape, slirp's addresses. */
function slirpNetworkConfig(mac: string): string {
  return [
    'version: 1',
    'config:',
    '    - type: physical',
    '      name: eth0',
    `      mac_address: '${mac}'`,
    '      subnets:',
    '      - type: static',
    `        address: '${SLIRP.guest}/${SLIRP.prefix}'`,
    `        gateway: '${SLIRP.host}'`,
    '    - type: nameserver',
    '      address:',
    `      - '${SLIRP.dns}'`,
    '',
  ].join('\n')
}
