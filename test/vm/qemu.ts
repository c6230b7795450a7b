import { execFile, spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'

/**
 * A Proxmox-like cloud-init VM under qemu for the real-VM test tier (how it works, with
 * measurements: docs/real-vm-tests.md). TCG only: this host's /dev/kvm is PVM, which an
 * unmodified Debian kernel cannot run. Networking is slirp with `restrict=on`: the guest has no
 * route anywhere, and the only ways in are hostfwd ports bound to a loopback address.
 * The simulator's `qemu` backend (test/pve-sim/qemu-backend.ts) is built on this file.
 */

const run = promisify(execFile)

export const REPO_ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '')
export const VM_CACHE_DIR = join(REPO_ROOT, '.cache/vm')
const BUILD_TIMEOUT_MS = 30 * 60_000

/** slirp's fixed addressing: the guest, the host (gateway) and slirp's DNS, as the guest sees them. */
export const SLIRP = { guest: '10.0.2.15', prefix: 24, host: '10.0.2.2', dns: '10.0.2.3' } as const

export interface VmImage {
  qcow2: string
  kernel: string
  initrd: string
}

/** Builds the Debian 13 template with test/vm/build-image.sh unless it is cached. */
export function ensureImage(cacheDir = VM_CACHE_DIR): VmImage {
  const img = join(cacheDir, 'img')
  const result = spawnSync('bash', [join(REPO_ROOT, 'test/vm/build-image.sh'), cacheDir], {
    stdio: 'inherit',
    timeout: BUILD_TIMEOUT_MS,
  })
  if (result.status !== 0) {
    throw new Error(
      `build-image.sh failed (status ${result.status}); see ${cacheDir}/debootstrap.log`,
    )
  }
  return {
    qcow2: join(img, 'base.qcow2'),
    kernel: join(img, 'vmlinuz'),
    initrd: join(img, 'initrd.img'),
  }
}

/** A TCP port that was free on `host` a moment ago. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, resolve)
  })
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (!address || typeof address === 'string') throw new Error('no port')
  return address.port
}

/** The three files of a cloud-init NoCloud seed. */
export interface NoCloudSeed {
  userData: string
  metaData: string
  networkConfig: string
}

/** Writes the seed files and packs them into the ISO the guest reads (`cloud-localds`). */
export async function writeSeed(dir: string, seed: NoCloudSeed): Promise<string> {
  await mkdir(dir, { recursive: true })
  const files = {
    'user-data': seed.userData,
    'meta-data': seed.metaData,
    'network-config': seed.networkConfig,
  }
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text)
  const iso = join(dir, 'seed.iso')
  await run(
    'cloud-localds',
    ['-N', join(dir, 'network-config'), iso, join(dir, 'user-data'), join(dir, 'meta-data')],
    { timeout: 60_000 },
  )
  return iso
}

/** A linked clone of the template (a qcow2 overlay, like a Proxmox linked clone) of `bytes`. */
export async function createOverlay(
  image: VmImage,
  disk: string,
  bytes: number,
  /** Another qcow2 to layer on (a template VM's own disk); the image's by default. */
  backing = image.qcow2,
): Promise<void> {
  const size = String(Math.max(bytes, 4 * 1024 ** 3))
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', backing, '-F', 'qcow2', disk, size])
}

export interface Forward {
  /** Loopback address the host side is bound to. */
  hostAddress: string
  hostPort: number
  guestPort: number
}

export interface BootOptions {
  image: VmImage
  /** The VM's folder: monitor socket and serial log go here. */
  dir: string
  /** From `createOverlay`. */
  disk: string
  seedIso: string
  mac: string
  memoryMb: number
  cpus: number
  /** TCP forwards set up at boot; more can be added later with `addForward`. */
  forwards: Forward[]
}

const hostfwd = (f: Forward): string => `tcp:${f.hostAddress}:${f.hostPort}-:${f.guestPort}`

/** A running qemu process we own; stop it with `powerdown()` or `kill()`. */
export class QemuVm {
  private constructor(
    private readonly child: ChildProcess,
    private readonly monitorPath: string,
    readonly serialLog: string,
    private readonly exited: Promise<void>,
  ) {}

  static async boot(options: BootOptions): Promise<QemuVm> {
    const { dir } = options
    await mkdir(dir, { recursive: true })
    const monitor = join(dir, 'monitor.sock')
    const serialLog = join(dir, 'serial.log')
    const forwards = options.forwards.map((f) => `,hostfwd=${hostfwd(f)}`).join('')
    const args = [
      // thread=single: every vCPU in one host thread. With a thread per vCPU (thread=multi),
      // Linux's live code patching (text_poke_bp: an int3, then the final bytes) races QEMU's
      // invalidation of code other vCPUs have translated: a vCPU runs a stale int3 after the
      // patch is done, "Oops: int3" and "Kernel panic ... Fatal exception in interrupt". Seen in
      // CI 3 s into a boot (sched_clock_cpu) and here when `ufw enable` loaded nf_conntrack
      // (hash_conntrack_raw): a VM lost mid-deployment, twice in two runs. An emulator race, not
      // the product's: on KVM, as Proxmox runs guests, the CPU is real. The guest keeps the
      // vCPUs its Proxmox config gives; they share one host core.
      ...['-accel', 'tcg,thread=single,tb-size=256', '-cpu', 'max', '-machine', 'q35'],
      ...['-smp', String(options.cpus), '-m', String(options.memoryMb)],
      ...['-nographic', '-nodefaults', '-display', 'none', '-serial', `file:${serialLog}`],
      ...['-monitor', `unix:${monitor},server,nowait`],
      ...['-kernel', options.image.kernel, '-initrd', options.image.initrd],
      // panic=5: a guest kernel that panics reboots itself 5 s later instead of sitting dead
      // until wait_ssh gives up.
      ...['-append', 'root=/dev/vda rw console=ttyS0 panic=5'],
      ...['-drive', `file=${options.disk},if=virtio,format=qcow2,cache=unsafe`],
      ...['-drive', `file=${options.seedIso},if=virtio,format=raw,readonly=on`],
      // restrict=on: the guest is isolated; only the hostfwd rules reach it.
      ...['-netdev', `user,id=n0,restrict=on${forwards}`],
      ...['-device', `virtio-net-pci,netdev=n0,mac=${options.mac}`, '-device', 'virtio-rng-pci'],
    ]
    // --pdeathsig: qemu dies with the process that started it, even when that one is killed
    // before its cleanup runs (a test run interrupted, the simulator's CLI killed).
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', 'qemu-system-x86_64', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    let stderr = ''
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()))
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, 1_000)
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`qemu exited at once (${code}): ${stderr}`))
      })
    })
    return new QemuVm(child, monitor, serialLog, exited)
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /**
   * One HMP command on the monitor socket; resolves with its output (the text between the
   * prompts). Bounded by `timeoutMs`.
   */
  monitor(command: string, timeoutMs = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      let buf = ''
      let sent = false
      const socket = connect(this.monitorPath)
      const timer = setTimeout(() => {
        socket.destroy()
        reject(new Error(`qemu monitor: no answer to "${command}" within ${timeoutMs} ms`))
      }, timeoutMs)
      socket.on('error', (err) => {
        clearTimeout(timer)
        reject(err)
      })
      socket.on('data', (chunk: Buffer) => {
        buf += chunk.toString()
        if (!sent && buf.includes('(qemu) ')) {
          sent = true
          buf = ''
          socket.write(`${command}\n`)
        } else if (sent && buf.includes('(qemu) ')) {
          clearTimeout(timer)
          socket.destroy()
          // The monitor echoes the command line (with terminal escapes) before its output.
          const lines = buf.replace(/\r/g, '').split('\n').slice(1, -1)
          resolve(lines.join('\n').trim())
        }
      })
    })
  }

  /** Adds a TCP forward to the running VM (`hostfwd_add`); rejects with qemu's complaint. */
  async addForward(forward: Forward): Promise<void> {
    const out = await this.monitor(`hostfwd_add n0 ${hostfwd(forward)}`)
    if (out !== '') throw new Error(`hostfwd_add ${hostfwd(forward)}: ${out}`)
  }

  /**
   * ACPI power button; resolves true once qemu exited (the guest powered off) within
   * `timeoutMs`, false otherwise. The monitor connection is fire-and-forget: qemu does not always
   * close it, so nothing waits on it.
   */
  async acpiShutdown(timeoutMs: number): Promise<boolean> {
    if (!this.running) return true
    const socket = connect(this.monitorPath, () => {
      socket.write('system_powerdown\n', () => setTimeout(() => socket.destroy(), 1_000))
    })
    socket.on('error', () => socket.destroy())
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs)
    })
    const done = await Promise.race([this.exited.then(() => true as const), timedOut])
    clearTimeout(timer)
    return done
  }

  /** ACPI power button, SIGKILL after `timeoutMs`. */
  async powerdown(timeoutMs = 60_000): Promise<'acpi' | 'killed'> {
    if (await this.acpiShutdown(timeoutMs)) return 'acpi'
    await this.kill()
    return 'killed'
  }

  /** SIGKILL; resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL')
    await this.exited
  }

  /** The last lines of the serial console, for failure messages. */
  async serialTail(lines = 30): Promise<string> {
    if (!existsSync(this.serialLog)) return ''
    return (await readFile(this.serialLog, 'utf8')).split('\n').slice(-lines).join('\n')
  }
}

/** Reads an SSH server's version line, or null if none comes within `timeoutMs`. */
export function readSshBanner(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<string | null> {
  return new Promise((resolve) => {
    let buf = ''
    const socket = connect({ host, port })
    const done = (banner: string | null) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(banner)
    }
    const timer = setTimeout(() => done(null), timeoutMs)
    socket.on('data', (chunk: Buffer) => {
      buf += chunk.toString('latin1')
      const line = buf.split('\n').find((l) => l.startsWith('SSH-'))
      if (line !== undefined && buf.includes('\n')) done(line.trim())
    })
    socket.on('error', () => done(null))
    socket.on('close', () => done(null))
  })
}

/** SSH into the guest through its forwarded port. */
export function sshArgs(key: string, host: string, port: number, user: string): string[] {
  return [
    ...['-q', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no'],
    ...['-o', 'UserKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=5'],
    ...['-i', key, '-p', String(port), `${user}@${host}`],
  ]
}

/** Runs a command in the guest; rejects on a non-zero exit. */
export async function sshRun(args: string[], command: string, timeoutMs = 60_000): Promise<string> {
  const { stdout } = await run('ssh', [...args, command], { timeout: timeoutMs })
  return stdout
}
