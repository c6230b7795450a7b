import type dgram from 'node:dgram'
import net from 'node:net'
import {
  closeQuietly,
  listenMinecraft,
  listenValheimQuery,
  simulatedValheim,
} from './game-responder'
import { SIMULATED_PROVISION_FILE, guestGameOf, liveRewrite } from './guest-game'
import { listenRcon, loadPlayerFiles, newWorld, type SimWorld } from './rcon-server'
import { newHostKey, serveSsh, type SshHostKey } from './ssh-server'
import { serveSshLogin } from './ssh-exec'
import { SimJournal } from './journal'

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
  /** The VM this one's disk was cloned from (a template), or null (the simulator's own template). */
  clonedFrom: number | null
  /** Files written into the guest through the agent, by path (kept on its "disk"). */
  files: Readonly<Record<string, string>>
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
  /** Whether the guest agent answers (the guest has booted); no agent at all when absent. */
  agentRunning?(vmid: number): boolean
  /** A file written through the guest agent (`agent/file-write`); the guest may act on it. */
  writeFile?(vmid: number, path: string, content: string): Promise<void>
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
  /**
   * Between the sshd and the game answering: the service's start-up. Applies to the game the
   * simulated provisioner configured (see guest-game.ts), at boot and when it is (re)written.
   */
  gameDelayMs?: number
  log?: (line: string) => void
}

interface Running {
  address: string | null
  behaviour: GuestBehaviour
  booted: boolean
  timer: NodeJS.Timeout | null
  /** The provisioned game's start-up (gameDelayMs). */
  gameTimer: NodeJS.Timeout | null
  server: net.Server | null
  game: net.Server | null
  rcon: net.Server | null
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
  /** What the simulated provisioner wrote, by VM, as of the last start or write. */
  private readonly provisioned = new Map<number, string>()
  /** Each Minecraft guest's world, as its console left it (kept across restarts, like a disk). */
  private readonly worlds = new Map<number, SimWorld>()
  /** Each guest's journal (kept across restarts, like a persistent journal) and open sessions. */
  private readonly journals = new Map<number, SimJournal>()
  private readonly execs = new Map<number, number>()
  /**
   * A fault for tests: the next N provisioning writes leave a game that crashes on start (a
   * setting the server refuses), so verify fails; a boot afterwards starts the game again.
   */
  crashingProvisions = 0

  constructor(options: BannerBackendOptions = {}) {
    this.opts = {
      bootDelayMs: 50,
      banner: 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3',
      acpiResponds: true,
      shutdownDelayMs: 20,
      gameDelayMs: 0,
      ...options,
    }
  }

  async start(guest: SimGuest): Promise<void> {
    await this.stop(guest.vmid)
    const behaviour = this.opts.behaviour?.(guest.vmid) ?? 'ssh'
    const entry: Running = {
      address: null,
      behaviour,
      booted: false,
      timer: null,
      gameTimer: null,
      server: null,
      game: null,
      rcon: null,
      query: null,
      sockets: new Set(),
    }
    this.running.set(guest.vmid, entry)
    // The journal names the host as the VM's name (its hostname from cloud-init).
    this.journalOf(guest.vmid, guest.name)
    const provision = guest.files[SIMULATED_PROVISION_FILE]
    if (provision !== undefined) this.provisioned.set(guest.vmid, provision)
    else this.provisioned.delete(guest.vmid)
    const address = guest.ipv4?.address
    if (!address || behaviour === 'no-network') return
    if (!address.startsWith('127.')) {
      // The network rule: a simulated guest only ever binds loopback.
      this.opts.log?.(
        `banner backend: VM ${guest.vmid} has ${address}, not in 127.0.0.0/8; no sshd`,
      )
      return
    }
    entry.address = address
    entry.timer = setTimeout(() => {
      entry.timer = null
      entry.booted = true
      const server = net.createServer((sock) => {
        entry.sockets.add(sock)
        sock.on('close', () => entry.sockets.delete(sock))
        sock.on('error', () => sock.destroy())
        if (behaviour !== 'ssh') return
        const hostKey = this.hostKeyOf(guest.vmid)
        // A banner that is not SSH-2.0 (a test's broken sshd) gets the bare key exchange.
        if (!this.opts.banner.startsWith('SSH-2.0-')) serveSsh(sock, this.opts.banner, hostKey)
        else
          serveSshLogin(sock, this.opts.banner, hostKey, {
            user: guest.ciuser,
            authorizedKeys: guest.sshAuthorizedKeys,
            journal: this.journalOf(guest.vmid, guest.name),
            onExec: (delta) => this.execs.set(guest.vmid, this.openExecs(guest.vmid) + delta),
          })
      })
      server.on('error', (err) =>
        this.opts.log?.(`banner backend: VM ${guest.vmid}: ${err.message}`),
      )
      server.listen(guest.sshPort, address)
      entry.server = server
      this.startGame(guest.vmid, entry)
    }, this.opts.bootDelayMs)
  }

  agentRunning(vmid: number): boolean {
    return this.running.get(vmid)?.booted === true
  }

  /** The simulated provisioner's file restarts the game with what it says. */
  async writeFile(vmid: number, path: string, content: string): Promise<void> {
    if (path !== SIMULATED_PROVISION_FILE) return
    const live = liveRewrite(this.provisioned.get(vmid), content)
    this.provisioned.set(vmid, content)
    const entry = this.running.get(vmid)
    if (live && entry?.booted && (entry.game || entry.gameTimer)) {
      // Only the player files moved, and the role was told not to restart for them.
      this.worldOf(vmid).files = live
      return
    }
    const game = guestGameOf(content)
    if (game?.kind === 'minecraft') this.worldOf(vmid).files = game.players
    if (!entry?.booted) return
    await this.stopGame(entry)
    if (this.crashingProvisions > 0) {
      this.crashingProvisions -= 1
      this.opts.log?.(`banner backend: VM ${vmid}: the game service crashed on its new settings`)
      return
    }
    this.startGame(vmid, entry)
  }

  /**
   * The game a booted guest runs: the one its provisioning file describes (after the service's
   * start-up), else the fixed answers of `minecraftPort` / `valheimQueryPort`, if set.
   */
  private startGame(vmid: number, entry: Running): void {
    const address = entry.address
    if (!address || entry.behaviour !== 'ssh') return
    const onError = (what: string) => (err: Error) =>
      this.opts.log?.(`banner backend: VM ${vmid} ${what}: ${err.message}`)
    const file = this.provisioned.get(vmid)
    const game = file === undefined ? null : guestGameOf(file)
    if (game) {
      const journal = this.journalOf(vmid)
      const log = (line: string) => journal.write(game.kind, line)
      entry.gameTimer = setTimeout(() => {
        entry.gameTimer = null
        if (game.kind === 'minecraft') {
          log(`[Server thread/INFO]: Starting minecraft server version ${game.answer.version}`)
          log(`[Server thread/INFO]: Starting Minecraft server on ${address}:${game.port}`)
          entry.game = listenMinecraft(address, game.port, game.answer, onError('game'))
          const world = this.worldOf(vmid)
          world.starts += 1
          loadPlayerFiles(world)
          if (game.rcon) {
            // A server starts with automatic saving on, whatever the last run left.
            world.saving = true
            const { port, passwordSha256 } = game.rcon
            entry.rcon = listenRcon(address, port, passwordSha256, world, onError('rcon'), log)
            log(`[Server thread/INFO]: RCON running on ${address}:${port}`)
          }
          log('[Server thread/INFO]: Done (1.234s)! For help, type "help"')
        } else {
          log(`Game server connected, world "${game.info.name}"`)
          entry.query = listenValheimQuery(address, game.queryPort, game.info, onError('query'))
        }
      }, this.opts.gameDelayMs)
      return
    }
    if (this.opts.minecraftPort) {
      entry.game = listenMinecraft(address, this.opts.minecraftPort, `VM ${vmid}`, onError('game'))
    }
    if (this.opts.valheimQueryPort) {
      entry.query = listenValheimQuery(
        address,
        this.opts.valheimQueryPort,
        simulatedValheim(`VM ${vmid}`, this.opts.valheimQueryPort - 1),
        onError('query'),
      )
    }
  }

  /** A Minecraft guest's world as its RCON console changed it (for tests). */
  worldOf(vmid: number): SimWorld {
    let world = this.worlds.get(vmid)
    if (!world) {
      world = newWorld()
      this.worlds.set(vmid, world)
    }
    return world
  }

  /** A guest's journal (what its game wrote, what `journalctl` answers over SSH). */
  journalOf(vmid: number, hostname = `vm-${vmid}`): SimJournal {
    let journal = this.journals.get(vmid)
    if (!journal) {
      journal = new SimJournal(hostname)
      this.journals.set(vmid, journal)
    }
    return journal
  }

  /** How many SSH exec channels (a runner's journalctl) are open on the guest now. */
  openExecs(vmid: number): number {
    return this.execs.get(vmid) ?? 0
  }

  private async stopGame(entry: Running): Promise<void> {
    if (entry.gameTimer) clearTimeout(entry.gameTimer)
    entry.gameTimer = null
    const game = entry.game
    entry.game = null
    if (game) await new Promise<void>((resolve) => game.close(() => resolve()))
    const rcon = entry.rcon
    entry.rcon = null
    if (rcon) await new Promise<void>((resolve) => rcon.close(() => resolve()))
    const query = entry.query
    entry.query = null
    if (query) await closeQuietly(query)
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
    await this.stopGame(entry)
  }

  /**
   * The game process dies while the VM keeps running (a crash, an out-of-memory kill): its port
   * stops answering until {@link reviveGame}. For the alerts' "server down" tests.
   */
  async crashGame(vmid: number): Promise<void> {
    const entry = this.running.get(vmid)
    if (!entry?.booted) throw new Error(`VM ${vmid} is not running`)
    await this.stopGame(entry)
  }

  /** The game comes back (its service restarted by hand or by systemd). */
  reviveGame(vmid: number): void {
    const entry = this.running.get(vmid)
    if (!entry?.booted) throw new Error(`VM ${vmid} is not running`)
    if (!entry.game && !entry.query && !entry.gameTimer) this.startGame(vmid, entry)
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
    this.provisioned.delete(vmid)
    this.hostKeys.delete(vmid)
    this.worlds.delete(vmid)
    this.journals.delete(vmid)
  }

  async close(): Promise<void> {
    await Promise.all([...this.running.keys()].map((id) => this.stop(id)))
  }
}
