import type dgram from 'node:dgram'
import net from 'node:net'
import {
  closeQuietly,
  listenMinecraft,
  listenValheimQuery,
  simulatedValheim,
} from './game-responder'
import { newHostKey, serveSsh, type SshHostKey } from './ssh-server'

/**
 * The seam between the simulated Proxmox API and what a "VM" really is.
 *
 * The API side (locks, tasks, config, cloud-init) is the same for every backend; the backend only
 * makes the guest exist: `banner` (here) fakes an sshd on a loopback address, `qemu` (built
 * separately) boots a real cloud image with the NoCloud data below. Register a backend with
 * `PveSimulator({ backend })`.
 */

/** What a backend knows about a VM when it is started (from its config, as PVE would apply it). */
export interface SimGuest {
  vmid: number
  name: string
  cores: number
  memoryMiB: number
  /** Size of the boot disk after resize. */
  diskBytes: number
  /** From `ipconfig0`: the address is what the guest's sshd listens on (127.0.0.0/8 in tests). */
  ipv4: { address: string; prefix: number; gateway: string | null } | null
  ciuser: string | null
  /** The URL-decoded `sshkeys`, one key per entry. */
  sshAuthorizedKeys: string[]
  nameservers: string[]
  searchDomain: string | null
  macaddr: string | null
  /** The port the guest's sshd should use (simulator option `guestSshPort`). */
  sshPort: number
  /** NoCloud data as PVE would generate it (`GET …/cloudinit/dump`). */
  cloudInit: { userData: string; networkConfig: string; metaData: string }
}

export type ShutdownResult = 'stopped' | 'timeout'

export interface VmBackend {
  readonly kind: string
  /**
   * Called at the end of a successful `qmstart` task. Resolves once the "QEMU process" runs; the
   * guest boots in the background (like a real start task, which does not wait for the OS).
   */
  start(guest: SimGuest): Promise<void>
  /** Hard stop (`qmstop`, or the forced end of a shutdown). Idempotent. */
  stop(vmid: number): Promise<void>
  /** ACPI power-down: 'stopped' if the guest powered off within `timeoutMs`, else 'timeout'. */
  shutdown(vmid: number, timeoutMs: number): Promise<ShutdownResult>
  /** Free the VM's disks (`qmdestroy`); the VM is stopped. */
  destroy(vmid: number): Promise<void>
  /** Release everything (simulator stop). */
  close(): Promise<void>
}

/** How a banner guest behaves, for SSH-wait tests. */
export type GuestBehaviour = 'ssh' | 'silent' | 'no-network'

export interface BannerBackendOptions {
  /** Between start and the sshd listening (the "boot"). */
  bootDelayMs?: number
  /** What the guest's sshd sends. */
  banner?: string
  /** Whether the guest reacts to ACPI power-down. */
  acpiResponds?: boolean
  /** How long an ACPI power-down takes when it works. */
  shutdownDelayMs?: number
  /** Per VM: a working sshd, a listener that never speaks, or nothing at all. */
  behaviour?: (vmid: number) => GuestBehaviour
  /** When set, the booted guest also answers a Minecraft Server List Ping on this port. */
  minecraftPort?: number
  /** When set, the booted guest also answers Steam's A2S_INFO on this UDP port (Valheim). */
  valheimQueryPort?: number
  log?: (line: string) => void
}

interface Running {
  timer: NodeJS.Timeout | null
  server: net.Server | null
  game: net.Server | null
  query: dgram.Socket | null
  sockets: Set<net.Socket>
}

/**
 * The default backend: on start, after a boot delay, a TCP listener on the VM's `ipconfig0`
 * address (which must be in 127.0.0.0/8) sends an SSH banner and answers the SSH key exchange
 * with the VM's host key (./ssh-server.ts), as far as `ssh-keyscan` reads. Nothing else is ever
 * bound. The host key is made at the VM's first boot and kept until it is destroyed, as a real
 * VM keeps it on its disk.
 */
export class BannerBackend implements VmBackend {
  readonly kind = 'banner'
  private readonly running = new Map<number, Running>()
  private readonly hostKeys = new Map<number, SshHostKey>()
  private readonly opts: Required<
    Omit<BannerBackendOptions, 'behaviour' | 'log' | 'minecraftPort' | 'valheimQueryPort'>
  > &
    Pick<BannerBackendOptions, 'behaviour' | 'log' | 'minecraftPort' | 'valheimQueryPort'>

  constructor(options: BannerBackendOptions = {}) {
    this.opts = {
      bootDelayMs: 50,
      banner: 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3',
      acpiResponds: true,
      shutdownDelayMs: 20,
      ...options,
    }
  }

  async start(guest: SimGuest): Promise<void> {
    await this.stop(guest.vmid)
    const entry: Running = {
      timer: null,
      server: null,
      game: null,
      query: null,
      sockets: new Set(),
    }
    this.running.set(guest.vmid, entry)
    const address = guest.ipv4?.address
    const behaviour = this.opts.behaviour?.(guest.vmid) ?? 'ssh'
    if (!address || behaviour === 'no-network') return
    if (!address.startsWith('127.')) {
      // The network rule: a simulated guest only ever binds loopback.
      this.opts.log?.(
        `banner backend: VM ${guest.vmid} has ${address}, not in 127.0.0.0/8; no sshd`,
      )
      return
    }
    entry.timer = setTimeout(() => {
      entry.timer = null
      const server = net.createServer((sock) => {
        entry.sockets.add(sock)
        sock.on('close', () => entry.sockets.delete(sock))
        sock.on('error', () => sock.destroy())
        if (behaviour === 'ssh') serveSsh(sock, this.opts.banner, this.hostKeyOf(guest.vmid))
      })
      server.on('error', (err) =>
        this.opts.log?.(`banner backend: VM ${guest.vmid}: ${err.message}`),
      )
      server.listen(guest.sshPort, address)
      entry.server = server
      if (behaviour === 'ssh' && this.opts.minecraftPort) {
        entry.game = listenMinecraft(address, this.opts.minecraftPort, `VM ${guest.vmid}`, (err) =>
          this.opts.log?.(`banner backend: VM ${guest.vmid} game: ${err.message}`),
        )
      }
      if (behaviour === 'ssh' && this.opts.valheimQueryPort) {
        entry.query = listenValheimQuery(
          address,
          this.opts.valheimQueryPort,
          simulatedValheim(`VM ${guest.vmid}`, this.opts.valheimQueryPort - 1),
          (err) => this.opts.log?.(`banner backend: VM ${guest.vmid} query: ${err.message}`),
        )
      }
    }, this.opts.bootDelayMs)
  }

  /** The VM's SSH host key (made at its first boot). */
  hostKeyOf(vmid: number): SshHostKey {
    let key = this.hostKeys.get(vmid)
    if (!key) {
      key = newHostKey()
      this.hostKeys.set(vmid, key)
    }
    return key
  }

  /**
   * Give the VM a new SSH host key from its next connection on: a rebuilt VM, or another machine
   * answering on its address. Returns the new key.
   */
  replaceHostKey(vmid: number): SshHostKey {
    const key = newHostKey()
    this.hostKeys.set(vmid, key)
    return key
  }

  async stop(vmid: number): Promise<void> {
    const entry = this.running.get(vmid)
    if (!entry) return
    this.running.delete(vmid)
    if (entry.timer) clearTimeout(entry.timer)
    for (const s of entry.sockets) s.destroy()
    const server = entry.server
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()))
    const game = entry.game
    if (game) await new Promise<void>((resolve) => game.close(() => resolve()))
    const query = entry.query
    if (query) await closeQuietly(query)
  }

  async shutdown(vmid: number, timeoutMs: number): Promise<ShutdownResult> {
    if (!this.opts.acpiResponds) {
      await new Promise((r) => setTimeout(r, timeoutMs))
      return this.running.has(vmid) ? 'timeout' : 'stopped'
    }
    await new Promise((r) => setTimeout(r, Math.min(this.opts.shutdownDelayMs, timeoutMs)))
    await this.stop(vmid)
    return 'stopped'
  }

  async destroy(vmid: number): Promise<void> {
    await this.stop(vmid)
    this.hostKeys.delete(vmid)
  }

  async close(): Promise<void> {
    await Promise.all([...this.running.keys()].map((id) => this.stop(id)))
  }
}
