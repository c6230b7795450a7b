import type { ChildProcess } from 'node:child_process'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { minecraft } from '../../core/games/minecraft'
import { runPlaybook } from '../../runner/src/ansible/run-playbook'
import { preparePlaybook } from '../../runner/src/games/prepare'
import { scanHostKey } from '../../runner/src/ssh/host-key'
import { MinecraftVersionResolver } from '../../runner/src/games/minecraft-version'
import { pingMinecraft } from '../../runner/src/games/slp'
import { startRealRunner, startSimulator } from '../e2e/sim-stack'
import { ApiClient, DashboardSocket, startStack, waitFor, type Stack } from '../e2e/stack'
import type { PveSimulator } from '../pve-sim/index'
import { QemuBackend } from '../pve-sim/qemu-backend'
import { killAllRunners, type RunnerProcess } from '../runner/harness'
import { buildRunner } from '../../scripts/build-runner.mjs'
import {
  copyExecutable,
  localNodeBinary,
  reverseTunnel,
  runInstallPlaybook,
} from './install-runner'
import {
  changeEnded,
  consoleCommand,
  guestMemoryMiB,
  journalSessionsOnVm,
  runnerJournalSsh,
  watchServerLog,
  type ChangeDetail,
} from './day-two'
import { buildFakeServerJar, serveMinecraftMirror, STAND_IN_VERSION } from './fake-server'
import type { MinecraftMirror } from './fake-server'
import { benchLine, stepSplit, waitEnded, writeBench, type Timed } from './bench'
import { BAKE_LAYERS, bakedTemplateName } from '../../core/bake'
import { REPO_ROOT, SLIRP, VM_CACHE_DIR, ensureImage, sshArgs, sshRun } from './qemu'

/**
 * Real-VM tier (docs/real-vm-tests.md): the whole pipeline as a user drives it. A deployment
 * created through the API of a local worker (wrangler dev) is taken by the bundled runner with the
 * product's real executors, cloned and started on the Proxmox simulator's `qemu` backend (a
 * Debian 13 cloud-init VM under TCG, test/pve-sim/qemu-backend.ts), SSH waited,
 * provision_minecraft.yml run by the runner's Ansible executor (Java 21 baked into the image;
 * the stand-in server jar from a loopback mirror of Mojang's metadata), verified by a Server
 * List Ping, and `ready`. Then, from outside: the game answers, UFW drops another port, the
 * console answers over the stand-in's RCON and the server log streams the VM's journal (and its
 * SSH session ends when nobody watches), a change of MOTD, slots and memory restarts the VM
 * bigger and the game answers with the new values, the same change again changes nothing (refused,
 * and the playbook run again reports changed=0), the runner installs on the VM, and destroying
 * the deployment stops and deletes the VM. All of it on the one VM: a second boot costs minutes.
 * Everything is on loopback; the guest has no route anywhere. Slow (tens of minutes) and
 * root-only:
 *   npm run test:vm
 * Phase timings are printed and written to .cache/vm/timings.json.
 */

const USER = 'debian'
const SSH_PORT = 2222
const GAME_PORT = 25_565
const RCON_PORT = 25_575
/** Where provision_minecraft.yml installs the server (minecraft_server_dir). */
const MINECRAFT_DIR = '/opt/minecraft/server'
/** A port the playbook does not open; a probe server listens there inside the guest. */
const CLOSED_PORT = 8080
/** An address pool of this tier's own (other e2e tests use 127.77–127.79 and 127.90). */
const POOL = { cidr: '127.83.0.0/16', rangeStart: '127.83.0.10', rangeEnd: '127.83.0.60' }
const DEPLOY_TIMEOUT_MS = 45 * 60_000
const CHANGE_TIMEOUT_MS = 30 * 60_000
const PLAYBOOK_TIMEOUT_MS = 20 * 60_000

const timings: Record<string, number> = {}
/** Live progress on stderr (vitest holds console output until a test ends). */
function progress(message: string): void {
  process.stderr.write(`[vm ${new Date().toISOString().slice(11, 19)}] ${message}\n`)
}
async function timedPhase<T>(phase: string, work: () => Promise<T>): Promise<T> {
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
  version: STAND_IN_VERSION,
  memoryMb: 2048,
  cores: 2,
  diskGb: 8,
  motd: 'Real VM: test #1',
  maxPlayers: 7,
  rconEnabled: true,
})
/** What the change test asks for: new settings and more memory (the VM restarts for it). */
const changed = minecraft.configSchema.parse({
  ...config,
  motd: 'Real VM: changed #2',
  maxPlayers: 12,
  memoryMb: 3072,
})
let stack: Stack | undefined
let sim: PveSimulator | undefined
let backend: QemuBackend | undefined
let mirror: MinecraftMirror | undefined
let api: ApiClient
let runnerState = ''
let runner: RunnerProcess | undefined
let dash: DashboardSocket | undefined
/** What the deployment became; filled by the first test. */
let deployed: { id: string; ip: string; vmid: number; pid: number } | undefined
/** The SSH reverse tunnel that lets the VM's own runner reach the dashboard. */
let tunnel: ChildProcess | undefined

beforeAll(async () => {
  await mkdir(runDir, { recursive: true })
  const image = await timedPhase('image (build or cache)', async () => ensureImage())
  const jar = await timedPhase('compile stand-in jar', () =>
    buildFakeServerJar(join(runDir, 'jar')),
  )
  mirror = await serveMinecraftMirror(jar)
  backend = new QemuBackend({
    image,
    workDir: join(runDir, 'vms'),
    ports: [GAME_PORT, RCON_PORT, CLOSED_PORT],
    log: progress,
  })
  sim = await startSimulator({
    backend,
    guestSshPort: SSH_PORT,
    templates: [{ vmid: 9000, name: 'debian13-ci', diskSize: '4G', template: true }],
    log: progress,
  })
  stack = await timedPhase('wrangler dev', () => startStack())
  api = new ApiClient(stack.url)
  await api.ok('POST', '/api/setup', {
    username: 'admin',
    password: 'vm tier admin password',
    setupCode: stack.setupCode,
  })
  await api.ok(
    'PUT',
    '/api/settings/proxmox',
    sim.connection({ gateway: '127.83.0.1', dnsServers: ['127.83.0.1'], ipPool: POOL }),
  )
  const started = await startRealRunner(api, 'vm-runner', {
    RUNNER_PROVISIONER: 'ansible',
    RUNNER_ANSIBLE_DIR: join(REPO_ROOT, 'ansible'),
    // The runner's host as the guest sees it through slirp.
    RUNNER_ADDRESS: SLIRP.host,
    RUNNER_MINECRAFT_MANIFEST_URL: mirror.manifestUrl,
  })
  runner = started.runner
  runnerState = started.state
  await waitFor(
    async () =>
      (
        await api.ok<{ runners: { name: string; state: string }[] }>('GET', '/api/runners')
      ).runners.some((r) => r.name === 'vm-runner' && r.state === 'online'),
    'the runner online',
    60_000,
    250,
  )
}, 45 * 60_000)

afterAll(async () => {
  dash?.close()
  tunnel?.kill()
  if (runner) {
    const output = `--- stdout\n${runner.stdout()}\n--- stderr\n${runner.stderr()}`
    await writeFile(join(VM_CACHE_DIR, 'last-runner.log'), output)
  }
  await killAllRunners()
  // Stops the simulator and, through the backend, every qemu process still running.
  await sim?.stop()
  await stack?.stop()
  await new Promise((resolve) => (mirror ? mirror.server.close(resolve) : resolve(undefined)))
  await rm(runDir, { recursive: true, force: true })
  if (runnerState) await rm(runnerState, { recursive: true, force: true })
  await writeFile(join(VM_CACHE_DIR, 'timings.json'), JSON.stringify(timings, null, 2))
  if (bench.cold && bench.bake && bench.baked) {
    const wall = Math.round(performance.now() - tierStarted) / 1000
    await writeBench(benchLine(bench.cold, bench.bake, bench.baked, wall))
  }
  console.log('real-VM phase timings (s):', timings)
}, 180_000)

/** Sends an HTTP request and collects whatever comes back before close or timeout. */
function probe(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    let received = ''
    const socket = connect({ host, port }, () => socket.write('GET / HTTP/1.0\r\n\r\n'))
    const timer = setTimeout(() => socket.destroy(), timeoutMs)
    socket.on('data', (c: Buffer) => (received += c.toString()))
    socket.on('error', () => undefined)
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(received)
    })
  })
}

interface Detail {
  deployment: {
    id: string
    status: string
    ip: string
    vmid: number
    lastSeq: number
    error: unknown
    result: { address: string; version: string; motd: string; players: { max: number } } | null
  }
}

/** Properties of the guest's pgd-runner unit, by name. */
async function unitState(ssh: string[], ...names: string[]): Promise<Record<string, string>> {
  const out = await sshRun(
    ssh,
    `systemctl show pgd-runner ${names.map((n) => `-p ${n}`).join(' ')}`,
  )
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  )
}

/**
 * The deployment's RCON password, as the playbook wrote it into the VM's server.properties (it is
 * nowhere else outside the runner and the deployment's sealed secrets).
 */
async function rconPassword(): Promise<string> {
  const line = await sshRun(
    guestSsh(),
    `sudo grep '^rcon\\.password=' ${MINECRAFT_DIR}/server.properties`,
  )
  const password = line.trim().slice('rcon.password='.length).replace(/\\(.)/g, '$1')
  if (password.length < 12) throw new Error('no RCON password in server.properties')
  return password
}

function guestSsh(): string[] {
  if (!deployed) throw new Error('not deployed')
  return sshArgs(join(runnerState, 'ssh/id_ed25519'), deployed.ip, SSH_PORT, USER)
}

/**
 * Creates a deployment through the API and waits for it to be ready, checking what the first
 * test always checked: the address, the game's answer, a complete log with Ansible's recap.
 * Returns its detail, the user's wait and the per-step split, and the log's text.
 */
async function deployAndCheck(
  name: string,
  logFile: string,
): Promise<{ d: Detail['deployment']; timed: Timed; text: string }> {
  const { deployment } = await api.ok<{ deployment: { id: string; ip: string } }>(
    'POST',
    '/api/deployments',
    { name, game: 'minecraft', config },
  )
  dash?.close()
  dash = new DashboardSocket(api, deployment.id)
  dash.onLine = (line) => {
    if (/^TASK \[|^PLAY RECAP|SSH is up|verify:|waiting for SSH|template/.test(line.text))
      progress(line.text.replace(/ \*+$/, ''))
  }
  await dash.opened()
  const started = performance.now()
  const ended = await waitEnded(
    api,
    deployment.id,
    DEPLOY_TIMEOUT_MS,
    (step) => progress(`${name}: step ${step}`),
    () => {
      if (runner && (runner.child.exitCode !== null || runner.child.signalCode !== null)) {
        throw new Error(
          `the runner exited (${runner.child.exitCode ?? runner.child.signalCode}):\n${runner.stderr()}`,
        )
      }
    },
  )
  const timed = {
    api_to_ready_s: Math.round(performance.now() - started) / 1000,
    steps: stepSplit(ended.steps),
  }
  const { deployment: d } = await api.ok<Detail>('GET', `/api/deployments/${deployment.id}`)
  if (d.status !== 'ready') {
    const tail = (await backend?.serialTail(d.vmid)) ?? ''
    throw new Error(`deployment ${d.status}: ${JSON.stringify(d.error)}\n${tail}`)
  }
  expect(d.ip.startsWith('127.83.')).toBe(true)
  expect(d.result).toMatchObject({
    address: `${d.ip}:${GAME_PORT}`,
    version: STAND_IN_VERSION,
    motd: config.motd,
    players: { max: config.maxPlayers },
  })
  // Logs complete: every line stored, seqs 1..lastSeq without a gap, Ansible's recap there.
  const { lines } = await api.ok<{ lines: { seq: number; text: string }[] }>(
    'GET',
    `/api/deployments/${deployment.id}/logs?after=0&limit=10000`,
  )
  expect(lines.length).toBe(d.lastSeq)
  expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i + 1))
  const text = lines.map((l) => l.text).join('\n')
  expect(text).toContain('SSH is up on')
  expect(text).toMatch(/^PLAY RECAP \*+$/m)
  expect(text).toMatch(/^target\s+: ok=\d+\s+changed=[1-9]\d*\s+unreachable=0\s+failed=0/m)
  expect(text).toContain(`verify: ${STAND_IN_VERSION}, "${config.motd}", 0/7 players`)
  await writeFile(join(VM_CACHE_DIR, logFile), text)
  progress(`${name}: API to ready ${timed.api_to_ready_s} s ${JSON.stringify(timed.steps)}`)
  return { d, timed, text }
}

/** Destroys a deployment through the API and checks its VM and qemu process are gone. */
async function destroyAndCheck(id: string, vmid: number, pid: number): Promise<void> {
  if (!sim || !backend) throw new Error('no simulator')
  await api.ok('POST', `/api/deployments/${id}/destroy`)
  const ended = await waitEnded(api, id, 5 * 60_000, () => undefined)
  expect(ended.status).toBe('destroyed')
  expect(sim.cluster.vms.has(vmid)).toBe(false)
  expect(backend.pidOf(vmid)).toBeUndefined()
  expect(() => process.kill(pid, 0)).toThrow(/ESRCH/)
}

const bench: { cold?: Timed; bake?: Timed; baked?: Timed } = {}
const tierStarted = performance.now()

describe('a Minecraft deployment through the whole pipeline onto a real Debian 13 VM', () => {
  it(
    'cold path: the base template and the whole playbook, from the API to ready; then destroyed',
    async () => {
      const { d, timed, text } = await deployAndCheck('real vm cold', 'last-deploy-cold.log')
      bench.cold = timed
      timings['deploy cold: API to ready'] = timed.api_to_ready_s
      // The runner resolved the version through the mirror, and the playbook fetched the jar.
      expect(mirror?.requests).toContain('/mc/game/version_manifest_v2.json')
      expect(mirror?.requests.some((p) => p.endsWith('/server.jar'))).toBe(true)
      expect(text).toContain('no game-ready template for minecraft: cloning the base template')
      expect(text).toMatch(/TASK \[minecraft : Install Java and UFW\]/)
      // Two VMs under TCG would share the two cores: this one goes before the bake boots.
      await timedPhase('destroy cold', () =>
        destroyAndCheck(d.id, d.vmid, backend?.pidOf(d.vmid) ?? 0),
      )
    },
    DEPLOY_TIMEOUT_MS + 6 * 60_000,
  )

  it(
    'bakes a game-ready template: base layer, sealed, stopped, converted and named for the layer',
    async () => {
      if (!sim) throw new Error('no simulator')
      const started = performance.now()
      const { job } = await api.ok<{ job: { id: string } }>('POST', '/api/templates/bake', {
        game: 'minecraft',
        javaMajor: 21,
      })
      const ended = await waitEnded(api, job.id, DEPLOY_TIMEOUT_MS, (s) =>
        progress(`bake: step ${s}`),
      )
      bench.bake = {
        api_to_ready_s: Math.round(performance.now() - started) / 1000,
        steps: stepSplit(ended.steps),
      }
      timings['bake: API to template'] = bench.bake.api_to_ready_s
      const { lines } = await api.ok<{ lines: { text: string }[] }>(
        'GET',
        `/api/deployments/${job.id}/logs?after=0&limit=10000`,
      )
      const text = lines.map((l) => l.text).join('\n')
      await writeFile(join(VM_CACHE_DIR, 'last-bake.log'), text)
      expect(ended.status, text.slice(-3000)).toBe('ready')
      const name = bakedTemplateName('minecraft', 21, BAKE_LAYERS.minecraft)
      const view = await api.ok<{ job: { status: string; name: string; outOfDate: boolean } }>(
        'GET',
        '/api/templates/bake',
      )
      expect(view.job).toMatchObject({ status: 'ready', name, outOfDate: false })
      const made = [...sim.cluster.vms.values()].find((vm) => vm.config.name === name)
      expect(made?.config.template).toBe('1')
      expect(made?.running).toBe(false)
      // The seal ran, in order, after the base layer.
      const order = [
        'TASK [minecraft : Install Java and UFW]',
        "TASK [Clean cloud-init's state and logs]",
        'TASK [Empty the machine id]',
        'TASK [Remove the SSH host keys',
      ].map((t) => text.indexOf(t))
      expect(order.every((i, n) => i > (order[n - 1] ?? -2))).toBe(true)
      progress(
        `bake: ${name} in ${bench.bake.api_to_ready_s} s ${JSON.stringify(bench.bake.steps)}`,
      )
    },
    DEPLOY_TIMEOUT_MS + 60_000,
  )

  it(
    'baked path: the same deployment from the game-ready template, base layer skipped, to ready',
    async () => {
      const { d, timed, text } = await deployAndCheck('real vm world', 'last-deploy.log')
      bench.baked = timed
      timings['deploy: API to ready'] = timed.api_to_ready_s
      const name = bakedTemplateName('minecraft', 21, BAKE_LAYERS.minecraft)
      expect(text).toContain(`game-ready template ${name}`)
      expect(text).toContain('Java 21): skipping it')
      // Ansible still prints the base layer's task headers, each followed (after the line of
      // per-task times) by "skipping".
      expect(text).toMatch(
        /TASK \[minecraft : Install Java and UFW\][^\n]*\n(?:[^\n]*\*+ ?\n)?skipping: \[target\]/,
      )
      const pid = backend?.pidOf(d.vmid)
      expect(pid).toBeGreaterThan(0)
      deployed = { id: d.id, ip: d.ip, vmid: d.vmid, pid: pid ?? 0 }
      if (bench.cold && bench.bake) {
        const line = benchLine(bench.cold, bench.bake, timed, 0)
        progress(`bench: ${JSON.stringify(line)}`)
        await writeBench(line)
      }
    },
    DEPLOY_TIMEOUT_MS + 60_000,
  )

  it('answers a Server List Ping on the game port from outside', async () => {
    if (!deployed) throw new Error('not deployed')
    const status = await pingMinecraft({ host: deployed.ip, port: GAME_PORT, timeoutMs: 10_000 })
    expect({ motd: status.motd, max: status.playersMax }).toEqual({ motd: config.motd, max: 7 })
  })

  it('drops traffic to a port the firewall does not open', async () => {
    if (!deployed) throw new Error('not deployed')
    const ssh = guestSsh()
    await sshRun(ssh, `sudo systemd-run --unit=probe python3 -m http.server ${CLOSED_PORT}`)
    const inside = await sshRun(
      ssh,
      `python3 -c "import urllib.request,time; time.sleep(2); print(urllib.request.urlopen('http://127.0.0.1:${CLOSED_PORT}/').status)"`,
    )
    expect(inside.trim()).toBe('200')
    expect(await probe(deployed.ip, CLOSED_PORT, 10_000)).toBe('')
    await sshRun(ssh, 'sudo systemctl stop probe')
  }, 120_000)

  it(
    'opens the console through the dashboard: the stand-in answers over RCON, its journal streams live and stops',
    async () => {
      if (!deployed || !runner?.child.pid) throw new Error('not deployed')
      const { id } = deployed
      const ssh = guestSsh()
      const list = await consoleCommand(api, id, 'list')
      progress(`console: list → ${JSON.stringify(list.answer)}`)
      expect(list).toMatchObject({
        answer: `There are 0 of a max of ${config.maxPlayers} players online: `,
        error: null,
      })

      const words = `hello from the real-VM tier ${Date.now()}`
      const log = watchServerLog(api, id)
      try {
        // The last lines on open: the stand-in's own start-up, through journald and SSH.
        await waitFor(
          () => log.got.some((l) => l.includes('RCON running on 0.0.0.0:25575')),
          'the start-up lines of the server log',
          60_000,
          250,
        )
        expect(log.got.some((l) => /Done \(\d+\.\d+s\)! For help, type "help"/.test(l))).toBe(true)
        expect(await journalSessionsOnVm(ssh, 'minecraft')).toHaveLength(1)
        expect(await runnerJournalSsh(runner.child.pid)).toHaveLength(1)
        // Live: what the console makes the server write arrives while watching.
        const said = await consoleCommand(api, id, `say ${words}`)
        expect(said).toMatchObject({ answer: '', error: null })
        const line = await waitFor(
          () => log.got.find((l) => l.includes(`[Server thread/INFO]: [Rcon] ${words}`)),
          'the live journal line',
          60_000,
          250,
        )
        progress(`server log: ${line}`)
        expect(log.end()).toBeNull()
      } finally {
        log.ws.close()
      }
      await log.closed
      // Nobody watches: the runner's ssh has exited and its session (journalctl) ended on the VM.
      await waitFor(
        async () => (await runnerJournalSsh(runner?.child.pid ?? 0)).length === 0,
        'the runner’s ssh to exit',
        30_000,
        500,
      )
      await waitFor(
        async () => (await journalSessionsOnVm(ssh, 'minecraft')).length === 0,
        'journalctl to end on the VM',
        30_000,
        500,
      )
      progress('server log: stopped watching; no journalctl left on the VM')
      // The password stayed out of the answer and out of the history the dashboard reads.
      const history = await api.request('GET', `/api/deployments/${id}/console`)
      const password = await rconPassword()
      expect(JSON.stringify(history.body)).toContain(words)
      expect(JSON.stringify(history.body)).not.toContain(password)
    },
    5 * 60_000,
  )

  it(
    'changes MOTD, max players and memory: the VM restarts bigger and the stand-in answers with the new values',
    async () => {
      if (!deployed || !sim || !backend) throw new Error('not deployed')
      const { id, vmid } = deployed
      const ssh = guestSsh()
      expect(await guestMemoryMiB(ssh)).toBeLessThan(config.memoryMb)
      const before = (await api.ok<ChangeDetail>('GET', `/api/deployments/${id}`)).deployment
      const since = Date.now()
      const change = await timedPhase('change: API to ready', async () => {
        await api.ok('POST', `/api/deployments/${id}/change`, { config: changed })
        return changeEnded(api, id, since, CHANGE_TIMEOUT_MS, (step) =>
          progress(`change step ${step}`),
        )
      })
      const { lines } = await api.ok<{ lines: { seq: number; text: string }[] }>(
        'GET',
        `/api/deployments/${id}/logs?after=${before.lastSeq}&limit=10000`,
      )
      const text = lines.map((l) => l.text).join('\n')
      await writeFile(join(VM_CACHE_DIR, 'last-change.log'), text)
      expect(change.lastJob, text.slice(-3000)).toMatchObject({
        kind: 'change',
        outcome: 'succeeded',
      })
      // What the change did, in its log: the diff, the restart for the memory, Ansible's recap
      // with the changes it made, and verify reading the new values from the game.
      expect(text).toContain('change: motd: Real VM: test #1 → Real VM: changed #2')
      expect(text).toContain('2048 → 3072 MiB; the VM restarts for them')
      const recap = /^target\s+: ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0/m.exec(text)
      progress(`change: ${recap?.[0] ?? 'no recap'}`)
      expect(Number(recap?.[1])).toBeGreaterThan(0)
      expect(text).toContain(`verify: ${STAND_IN_VERSION}, "${changed.motd}", 0/12 players`)
      expect(change.result).toMatchObject({ motd: changed.motd, players: { max: 12 } })
      expect(change.sizing).toMatchObject({ memoryMiB: 3072 })

      // From outside: the game answers with the new values…
      const status = await pingMinecraft({ host: deployed.ip, port: GAME_PORT, timeoutMs: 10_000 })
      progress(`SLP after the change: "${status.motd}", max ${status.playersMax}`)
      expect({ motd: status.motd, max: status.playersMax }).toEqual({ motd: changed.motd, max: 12 })
      // …and so does its console, after the restart.
      const list = await consoleCommand(api, id, 'list')
      expect(list.answer).toBe('There are 0 of a max of 12 players online: ')
      // Proxmox's config has the new memory, the restarted qemu has it and the guest sees it.
      expect(sim.cluster.vm(vmid).config.memory).toBe('3072')
      expect(sim.cluster.vm(vmid).snapshots?.map((s) => s.name)).toEqual([
        expect.stringMatching(/^pgd-change-/),
      ])
      const pid = backend.pidOf(vmid)
      expect(pid).toBeGreaterThan(0)
      expect(pid).not.toBe(deployed.pid)
      expect(() => process.kill(deployed?.pid ?? 0, 0)).toThrow(/ESRCH/)
      deployed.pid = pid ?? 0
      const memory = await guestMemoryMiB(ssh)
      progress(`guest MemTotal after the change: ${memory} MiB`)
      expect(memory).toBeGreaterThan(config.memoryMb)

      // The same change again: nothing would change, so nothing is started.
      const again = await api.request('POST', `/api/deployments/${id}/change`, { config: changed })
      progress(`the same change again: ${again.status} ${JSON.stringify(again.body)}`)
      expect(again.status).toBe(409)
      expect(JSON.stringify(again.body)).toContain('nothing would change')
      const after = (await api.ok<ChangeDetail>('GET', `/api/deployments/${id}`)).deployment
      expect(after).toMatchObject({ status: 'ready', lastSeq: change.lastSeq })
      expect(after.lastJob?.endedAt).toBe(change.lastJob?.endedAt)
      expect(backend.pidOf(vmid)).toBe(deployed.pid)
    },
    CHANGE_TIMEOUT_MS + 60_000,
  )

  it(
    'reports no changes when the changed settings’ playbook runs a second time',
    async () => {
      if (!deployed || !mirror) throw new Error('not deployed')
      // The same inputs the runner's executor used for the change: its playbook folder, the
      // resolver against the same mirror, its address, its key, its jar cache (HOME) and the
      // deployment's RCON password (read here from the VM, where the playbook wrote it).
      const prepared = await preparePlaybook({
        game: minecraft,
        config: changed,
        ansibleDir: join(REPO_ROOT, 'ansible'),
        runnerAddress: SLIRP.host,
        secrets: { rconPassword: await rconPassword() },
        resolvers: {
          minecraft: new MinecraftVersionResolver({
            userAgent: 'pgd-vm-test',
            mojangManifestUrl: mirror.manifestUrl,
          }),
        },
      })
      const hostKey = await scanHostKey(deployed.ip, SSH_PORT)
      const log: string[] = []
      const result = await timedPhase('second playbook run', () =>
        runPlaybook({
          playbook: prepared.playbook,
          target: {
            address: deployed?.ip ?? '',
            port: SSH_PORT,
            user: USER,
            hostKey,
          },
          privateKeyPath: join(runnerState, 'ssh/id_ed25519'),
          extraVars: prepared.extraVars,
          log: (line) => {
            log.push(line)
            if (line.startsWith('TASK [')) progress(line.replace(/ \*+$/, ''))
          },
          env: { HOME: runnerState },
          signal: AbortSignal.timeout(PLAYBOOK_TIMEOUT_MS),
        }),
      )
      await writeFile(join(VM_CACHE_DIR, 'last-second-run.log'), log.join('\n'))
      progress(`second run: ${JSON.stringify(result.recap)}`)
      expect(result.error).toBeNull()
      expect(result.recap?.changed).toBe(0)
    },
    PLAYBOOK_TIMEOUT_MS + 60_000,
  )

  it('reads the VM’s own SSH host key, and Ansible refuses any other', async () => {
    if (!deployed) throw new Error('not deployed')
    // What the runner pinned at wait_ssh is the key sshd made at the VM's first boot.
    const hostKey = await scanHostKey(deployed.ip, SSH_PORT)
    const onDisk = await sshRun(guestSsh(), 'cat /etc/ssh/ssh_host_ed25519_key.pub')
    expect(hostKey).toBe(onDisk.trim().split(/\s+/).slice(0, 2).join(' '))
    // Pinned to another key, OpenSSH itself refuses the VM: no task runs.
    const other = `ssh-ed25519 ${Buffer.concat([
      Buffer.from('0000000b7373682d6564323535313900000020', 'hex'),
      Buffer.alloc(32, 7),
    ]).toString('base64')}`
    const log: string[] = []
    const result = await runPlaybook({
      playbook: join(REPO_ROOT, 'ansible/provision_minecraft.yml'),
      target: { address: deployed.ip, port: SSH_PORT, user: USER, hostKey: other },
      privateKeyPath: join(runnerState, 'ssh/id_ed25519'),
      extraVars: {},
      log: (line) => log.push(line),
      // The runner's HOME: the second run's SSH master connection (ControlPersist) is still
      // up for this VM, and must not carry this run past the host key check.
      env: { HOME: runnerState },
      signal: AbortSignal.timeout(120_000),
    })
    expect(result.failure?.unreachable).toBe(true)
    expect(log.join('\n')).toMatch(/Host key verification failed|REMOTE HOST IDENTIFICATION/)
    expect(result.recap?.ok ?? 0).toBe(0)
  }, 180_000)

  it(
    'installs a runner on the VM with the dashboard’s command; it comes online under systemd',
    async () => {
      if (!deployed || !stack) throw new Error('not deployed')
      const ssh = guestSsh()
      const dashboardPort = Number(new URL(stack.url).port)
      const { runner: added, command } = await api.ok<{
        runner: { id: string; name: string }
        command: string
      }>('POST', '/api/runners', { name: 'vm installed runner' })
      // What the README asks before the command: the bundle built in the clone, Node ≥ 22 on
      // the host (NodeSource there; copied here, the guest has no route out).
      await timedPhase('build the runner bundle', () => buildRunner())
      await timedPhase('copy Node.js onto the VM', () =>
        copyExecutable(ssh, localNodeBinary(), '/usr/bin/node'),
      )
      expect(await sshRun(ssh, '/usr/bin/node --version 2>&1; echo "exit $?"')).toMatch(
        /^v2[2-9]\.\d+\.\d+\s+exit 0\s*$/,
      )
      // No mirror answers this guest: should the playbook ever reach for apt, it fails in
      // seconds instead of waiting on every source.
      await sshRun(
        ssh,
        `printf 'Acquire::Retries "0";\\nAcquire::http::Timeout "3";\\nAcquire::https::Timeout "3";\\n' | sudo tee /etc/apt/apt.conf.d/99no-route >/dev/null`,
      )
      // The guest reaches the dashboard on its own 127.0.0.1 at the dashboard's port, so the
      // server URL in the dashboard's command works there unchanged.
      tunnel = await reverseTunnel(ssh, dashboardPort, dashboardPort)
      const install = {
        command,
        host: deployed.ip,
        port: SSH_PORT,
        user: USER,
        privateKey: join(runnerState, 'ssh/id_ed25519'),
        hostKey: await scanHostKey(deployed.ip, SSH_PORT),
        workDir: runDir,
        // Only the tools this isolated guest already has: apt cannot reach a mirror from it.
        extraVars: { pgd_runner_packages: ['openssh-client', 'ca-certificates'] },
      }
      const first = await timedPhase('install_runner.yml', () => runInstallPlaybook(install))
      await writeFile(join(VM_CACHE_DIR, 'last-install-runner.log'), first.output)
      expect(first.code, first.output).toBe(0)
      expect(first.output).not.toContain(command.match(/pgd_code=(\S+)/)?.[1] ?? 'no code')

      const listed = async () =>
        (
          await api.ok<{ runners: { id: string; state: string; version: string | null }[] }>(
            'GET',
            '/api/runners',
          )
        ).runners.find((r) => r.id === added.id)
      await waitFor(
        async () => (await listed())?.state === 'online',
        'the installed runner online',
        3 * 60_000,
        1_000,
      )
      // systemd runs it, as its own user, from the installed bundle.
      expect(await unitState(ssh, 'ActiveState', 'UnitFileState', 'User')).toEqual({
        ActiveState: 'active',
        UnitFileState: 'enabled',
        User: 'pgd-runner',
      })
      const owner = await sshRun(ssh, 'sudo stat -c %U:%a /var/lib/pgd-runner/runner.json')
      expect(owner.trim()).toBe('pgd-runner:600')

      // The same command again (an upgrade): registered already, nothing to change.
      const second = await timedPhase('install_runner.yml again', () => runInstallPlaybook(install))
      expect(second.code, second.output).toBe(0)
      expect(second.recap).toMatchObject({ changed: 0, failed: 0 })

      // Revoked in the dashboard, it stops for good: systemd does not restart a revoked runner.
      await api.ok('DELETE', `/api/runners/${added.id}`)
      await waitFor(
        async () => (await unitState(ssh, 'ExecMainStatus')).ExecMainStatus === '2',
        'the revoked runner stopped with exit code 2',
        2 * 60_000,
        1_000,
      )
      await new Promise((resolve) => setTimeout(resolve, 8_000)) // longer than RestartSec=5
      expect(await unitState(ssh, 'ActiveState', 'ExecMainStatus', 'NRestarts')).toEqual({
        ActiveState: 'failed',
        ExecMainStatus: '2',
        NRestarts: '0',
      })
    },
    30 * 60_000,
  )

  it(
    'destroying the deployment stops and deletes the VM: its qemu process is gone',
    async () => {
      if (!deployed || !sim || !backend) throw new Error('not deployed')
      const { id, vmid, pid } = deployed
      await timedPhase('destroy', async () => {
        await api.ok('POST', `/api/deployments/${id}/destroy`)
        await waitFor(
          async () => {
            const { deployment: d } = await api.ok<Detail>('GET', `/api/deployments/${id}`)
            return d.status === 'destroyed' || d.status === 'failed'
          },
          'the deployment destroyed',
          5 * 60_000,
          1_000,
        )
      })
      const { deployment: d } = await api.ok<Detail>('GET', `/api/deployments/${id}`)
      expect(d.status).toBe('destroyed')
      expect(sim.cluster.vms.has(vmid)).toBe(false)
      expect(backend.pidOf(vmid)).toBeUndefined()
      expect(() => process.kill(pid, 0)).toThrow(/ESRCH/)
    },
    6 * 60_000,
  )
})
