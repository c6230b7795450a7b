import { execFile, spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'

/**
 * A Proxmox-like cloud-init VM under qemu for the real-VM test tier (recipe, with measurements:
 * ../shared/reference/vm-test-recipe.md). TCG only: this host's /dev/kvm is PVM, which an
 * unmodified Debian kernel cannot run. Networking is slirp with `restrict=on`: the guest has no
 * route anywhere, and the only ways in are hostfwd ports bound to a loopback address.
 */

const run = promisify(execFile)

export const REPO_ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '')
export const VM_CACHE_DIR = join(REPO_ROOT, '.cache/vm')
const BUILD_TIMEOUT_MS = 30 * 60_000

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

/** What Proxmox turns into a cloud-init NoCloud seed: ciuser, sshkeys and ipconfig0. */
export interface CloudInitSpec {
  ciuser: string
  sshkeys: string[]
  /** Proxmox syntax, e.g. `ip=10.0.2.15/24,gw=10.0.2.2`. */
  ipconfig0: string
  hostname: string
  mac: string
}

/** Writes the NoCloud seed ISO Proxmox would generate for these settings. */
export async function makeSeed(dir: string, spec: CloudInitSpec): Promise<string> {
  const fields = Object.fromEntries(spec.ipconfig0.split(',').map((kv) => kv.split('=')))
  const [address, prefix] = String(fields.ip).split('/')
  if (!address || !prefix || !fields.gw) throw new Error(`unsupported ipconfig0: ${spec.ipconfig0}`)
  await mkdir(dir, { recursive: true })
  const userData = [
    '#cloud-config',
    `hostname: ${spec.hostname}`,
    'manage_etc_hosts: true',
    `user: ${spec.ciuser}`,
    'ssh_authorized_keys:',
    ...spec.sshkeys.map((k) => `  - ${k}`),
    'chpasswd:',
    '  expire: False',
    'users:',
    '  - default',
    // Proxmox defaults to true; there is no mirror to reach here.
    'package_upgrade: false',
    '',
  ].join('\n')
  const networkConfig = [
    'version: 1',
    'config:',
    '  - type: physical',
    '    name: eth0',
    `    mac_address: '${spec.mac}'`,
    '    subnets:',
    '      - type: static',
    `        address: '${address}/${prefix}'`,
    `        gateway: '${fields.gw}'`,
    '',
  ].join('\n')
  await writeFile(join(dir, 'user-data'), userData)
  await writeFile(join(dir, 'meta-data'), `instance-id: ${spec.hostname}-${Date.now()}\n`)
  await writeFile(join(dir, 'network-config'), networkConfig)
  const iso = join(dir, 'seed.iso')
  await run('cloud-localds', [
    '-N',
    join(dir, 'network-config'),
    iso,
    join(dir, 'user-data'),
    join(dir, 'meta-data'),
  ])
  return iso
}

export interface BootOptions {
  image: VmImage
  dir: string
  seedIso: string
  mac: string
  memoryMb: number
  cpus: number
  /** Loopback address the forwarded ports are bound to. */
  hostAddress: string
  /** host port → guest port, TCP. */
  forwards: { host: number; guest: number }[]
}

/** A running qemu process we own; stop it with `powerdown()` (falls back to SIGKILL). */
export class QemuVm {
  private constructor(
    private readonly child: ChildProcess,
    private readonly monitor: string,
    readonly serialLog: string,
  ) {}

  /** Creates a linked-clone overlay of the template and boots it. */
  static async boot(options: BootOptions): Promise<QemuVm> {
    const { dir } = options
    await mkdir(dir, { recursive: true })
    const disk = join(dir, 'disk.qcow2')
    await run('qemu-img', [
      'create',
      '-q',
      '-f',
      'qcow2',
      '-b',
      options.image.qcow2,
      '-F',
      'qcow2',
      disk,
      '8G',
    ])
    const monitor = join(dir, 'monitor.sock')
    const serialLog = join(dir, 'serial.log')
    const hostfwd = options.forwards
      .map((f) => `hostfwd=tcp:${options.hostAddress}:${f.host}-:${f.guest}`)
      .join(',')
    const args = [
      ...['-accel', 'tcg,thread=multi,tb-size=256', '-cpu', 'max', '-machine', 'q35'],
      ...['-smp', String(options.cpus), '-m', String(options.memoryMb)],
      ...['-nographic', '-nodefaults', '-display', 'none', '-serial', `file:${serialLog}`],
      ...['-monitor', `unix:${monitor},server,nowait`],
      ...['-kernel', options.image.kernel, '-initrd', options.image.initrd],
      ...['-append', 'root=/dev/vda rw console=ttyS0'],
      ...['-drive', `file=${disk},if=virtio,format=qcow2,cache=unsafe`],
      ...['-drive', `file=${options.seedIso},if=virtio,format=raw,readonly=on`],
      // restrict=on: the guest is isolated; only the hostfwd rules below reach it.
      ...['-netdev', `user,id=n0,restrict=on,${hostfwd}`],
      ...['-device', `virtio-net-pci,netdev=n0,mac=${options.mac}`, '-device', 'virtio-rng-pci'],
    ]
    const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()))
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, 1_000)
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`qemu exited at once (${code}): ${stderr}`))
      })
    })
    return new QemuVm(child, monitor, serialLog)
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /**
   * ACPI power button, then waits for qemu to exit; SIGKILL after `timeoutMs`. The monitor
   * connection is fire-and-forget: qemu does not always close it, so nothing waits on it.
   */
  async powerdown(timeoutMs = 60_000): Promise<'acpi' | 'killed'> {
    if (!this.running) return 'acpi'
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
    const socket = connect(this.monitor, () => {
      socket.write('system_powerdown\n', () => setTimeout(() => socket.destroy(), 1_000))
    })
    socket.on('error', () => socket.destroy())
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<'killed'>((resolve) => {
      timer = setTimeout(() => resolve('killed'), timeoutMs)
    })
    const how = await Promise.race([exited.then(() => 'acpi' as const), timedOut])
    clearTimeout(timer)
    if (how === 'killed') {
      this.kill()
      await exited
    }
    return how
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL')
  }

  /** The last lines of the serial console, for failure messages. */
  async serialTail(lines = 30): Promise<string> {
    if (!existsSync(this.serialLog)) return ''
    return (await readFile(this.serialLog, 'utf8')).split('\n').slice(-lines).join('\n')
  }
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

/** Polls SSH until a login works, bounded in attempts and time. */
export async function waitForSsh(args: string[], timeoutMs: number, vm: QemuVm): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let attempt = 1; attempt <= 200 && Date.now() < deadline; attempt++) {
    if (!vm.running) throw new Error(`qemu exited while waiting for SSH:\n${await vm.serialTail()}`)
    try {
      await sshRun(args, 'true', 15_000)
      return
    } catch {
      await new Promise((r) => setTimeout(r, 2_000))
    }
  }
  throw new Error(`SSH did not answer within ${timeoutMs} ms:\n${await vm.serialTail()}`)
}
