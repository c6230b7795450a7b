import { execFile } from 'node:child_process'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import type { Server } from 'node:http'
import { connect } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { minecraft } from '../../core/games/minecraft'
import type { MinecraftServerArtifact } from '../../core/games/minecraft'
import { runPlaybook } from '../../runner/src/ansible/run-playbook'
import type { PlaybookResult } from '../../runner/src/ansible/run-playbook'
import { pingMinecraft } from '../../runner/src/minecraft/slp'
import { buildFakeServerJar, serveJar } from './fake-server'
import {
  QemuVm,
  REPO_ROOT,
  VM_CACHE_DIR,
  ensureImage,
  freePort,
  makeSeed,
  sshArgs,
  sshRun,
  waitForSsh,
} from './qemu'

/**
 * Real-VM tier (DESIGN.md §8.3): provision_minecraft.yml, run by the runner's Ansible executor,
 * against a Debian 13 cloud-init VM under qemu (TCG), with the stand-in server jar served from
 * loopback. Slow (minutes) and root-only; run it with
 *   npx vitest run --config test/vm/vitest.vm.config.ts
 * Phase timings are printed and written to .cache/vm/timings.json.
 */

const HOST = '127.0.0.1'
const USER = 'deploy'
const MAC = 'bc:24:11:00:00:01'
const GUEST_GAME_PORT = 25_565
/** A port the playbook does not open; a probe server listens there inside the guest. */
const GUEST_CLOSED_PORT = 8080
const BOOT_TIMEOUT_MS = 5 * 60_000
const PLAYBOOK_TIMEOUT_MS = 15 * 60_000

const timings: Record<string, number> = {}
/** Live progress on stderr (vitest holds console output until a test ends). */
function progress(message: string): void {
  process.stderr.write(`[vm ${new Date().toISOString().slice(11, 19)}] ${message}\n`)
}
async function timed<T>(phase: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now()
  progress(`${phase}…`)
  try {
    return await work()
  } finally {
    timings[phase] = Math.round(performance.now() - started) / 1000
    progress(`${phase}: ${timings[phase]} s`)
  }
}

const runDir = join(VM_CACHE_DIR, 'runs', String(Date.now()))
const config = minecraft.configSchema.parse({
  eula: true,
  version: '1.21.5',
  memoryMb: 2048,
  motd: 'Real VM: test #1',
  maxPlayers: 7,
})
let vm: QemuVm | undefined
let jarServer: Server | undefined
let ssh: string[] = []
let ports = { ssh: 0, game: 0, closed: 0 }
let extraVars: Record<string, unknown> = {}
const logs: string[] = []

async function provision(label: string): Promise<PlaybookResult> {
  const result = await timed(label, () =>
    runPlaybook({
      playbook: join(REPO_ROOT, 'ansible/provision_minecraft.yml'),
      target: { address: HOST, port: ports.ssh, user: USER },
      privateKeyPath: join(runDir, 'id_ed25519'),
      extraVars,
      log: (line) => {
        logs.push(line)
        if (line.startsWith('TASK [')) progress(line.replace(/ \*+$/, ''))
      },
      signal: AbortSignal.timeout(PLAYBOOK_TIMEOUT_MS),
    }),
  )
  await writeFile(join(runDir, `${label}.log`), logs.splice(0).join('\n'))
  return result
}

beforeAll(async () => {
  await mkdir(runDir, { recursive: true })
  const image = await timed('image (build or cache)', async () => ensureImage())
  const jar = await timed('compile stand-in jar', () => buildFakeServerJar(join(runDir, 'jar')))
  const served = await serveJar(jar.path, HOST)
  jarServer = served.server
  await promisify(execFile)('ssh-keygen', [
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-f',
    join(runDir, 'id_ed25519'),
  ])
  const publicKey = (await readFile(join(runDir, 'id_ed25519.pub'), 'utf8')).trim()
  ports = { ssh: await freePort(HOST), game: await freePort(HOST), closed: await freePort(HOST) }
  const seedIso = await makeSeed(join(runDir, 'seed'), {
    ciuser: USER,
    sshkeys: [publicKey],
    ipconfig0: 'ip=10.0.2.15/24,gw=10.0.2.2',
    hostname: 'mc-vm-test',
    mac: MAC,
  })
  vm = await QemuVm.boot({
    image,
    dir: runDir,
    seedIso,
    mac: MAC,
    memoryMb: config.memoryMb,
    cpus: 2,
    hostAddress: HOST,
    forwards: [
      { host: ports.ssh, guest: 22 },
      { host: ports.game, guest: GUEST_GAME_PORT },
      { host: ports.closed, guest: GUEST_CLOSED_PORT },
    ],
  })
  ssh = sshArgs(join(runDir, 'id_ed25519'), HOST, ports.ssh, USER)
  const booted = vm
  await timed('boot to SSH', () => waitForSsh(ssh, BOOT_TIMEOUT_MS, booted))

  const artifact: MinecraftServerArtifact = {
    edition: 'vanilla',
    version: '1.21.5',
    url: served.url,
    checksum: { algorithm: 'sha1', hex: jar.sha1 },
    javaMajor: 21,
  }
  extraVars = {
    ...minecraft.toAnsibleVars(config, { runnerAddress: null, artifact, secrets: {} }),
    minecraft_controller_cache_dir: join(runDir, 'jar-cache'),
    // The stand-in needs no tuning, and AlwaysPreTouch would touch the whole heap under TCG.
    minecraft_jvm_flags: [],
  }
}, 45 * 60_000)

afterAll(async () => {
  const running = vm
  if (running) {
    const how = await timed('shutdown', () => running.powerdown())
    console.log(`VM stopped by ${how === 'acpi' ? 'ACPI power button' : 'SIGKILL after timeout'}`)
  }
  await new Promise((resolve) => (jarServer ? jarServer.close(resolve) : resolve(undefined)))
  await rm(join(runDir, 'disk.qcow2'), { force: true })
  await writeFile(join(VM_CACHE_DIR, 'timings.json'), JSON.stringify(timings, null, 2))
  console.log('real-VM phase timings (s):', timings)
}, 120_000)

/** Sends an HTTP request and collects whatever comes back before close or timeout. */
function probe(port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    let received = ''
    const socket = connect({ host: HOST, port }, () => socket.write('GET / HTTP/1.0\r\n\r\n'))
    const timer = setTimeout(() => socket.destroy(), timeoutMs)
    socket.on('data', (c: Buffer) => (received += c.toString()))
    socket.on('error', () => undefined)
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(received)
    })
  })
}

describe('provision_minecraft.yml on a Debian 13 VM', () => {
  it('provisions the server on the first run', async () => {
    const result = await provision('first playbook run')
    expect(result.error).toBeNull()
    expect(result.recap?.changed).toBeGreaterThan(0)
  })

  it('answers a Server List Ping on the forwarded game port with the configured MOTD', async () => {
    const status = await pingMinecraft({ host: HOST, port: ports.game, timeoutMs: 10_000 })
    expect({ motd: status.motd, max: status.playersMax }).toEqual({ motd: config.motd, max: 7 })
  })

  it('drops traffic to a port the firewall does not open', async () => {
    await sshRun(ssh, `sudo systemd-run --unit=probe python3 -m http.server ${GUEST_CLOSED_PORT}`)
    const inside = await sshRun(
      ssh,
      `python3 -c "import urllib.request,time; time.sleep(2); print(urllib.request.urlopen('http://127.0.0.1:${GUEST_CLOSED_PORT}/').status)"`,
    )
    expect(inside.trim()).toBe('200')
    expect(await probe(ports.closed, 10_000)).toBe('')
  })

  it('reports no changes on a second run', async () => {
    const result = await provision('second playbook run')
    expect(result.error).toBeNull()
    expect(result.recap?.changed).toBe(0)
  })
})
