/**
 * `npm run demo`: the whole product on this machine with no Proxmox cluster. Starts the Proxmox
 * simulator (HTTPS, pinned certificate, simulated VMs on 127.77.x.y that answer SSH, and once
 * provisioned the game as configured: Minecraft's Server List Ping or Valheim's A2S query), the
 * simulated game publishers (Mojang's and PaperMC's version metadata, so versions resolve without
 * the internet), the worker under wrangler dev with the dashboard, and a runner already
 * registered with real executors (Ansible simulated: the VMs are not real). Open the dashboard,
 * create your admin account with the setup code it prints, and deploy.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { buildRunner } from '../../scripts/build-runner.mjs'
import { SETUP_CODE_BYTES, setupCodeFromBytes } from '../../core/auth'
import { waitFor } from '../../test/e2e/stack'
import { BannerBackend } from '../../test/pve-sim/backend'
import { serveGameUpstream } from '../../test/pve-sim/game-upstream'
import { PveSimulator } from '../../test/pve-sim/index'
import { seedInstall } from './seed'

const ROOT = new URL('../../', import.meta.url).pathname
const USAGE = `Usage: npm run demo -- [options]

The whole product on this machine against a simulated Proxmox: the dashboard, a registered
runner, and simulated VMs on 127.77.0.x. Ctrl-C stops everything; each run starts fresh.

Options:
  --port N        the dashboard's port (default 8787): http://localhost:N
  --sim-port N    the Proxmox simulator's HTTPS port (default 8006)
  --skip-build    reuse the dashboard already built in web/dist (faster restarts)
  --vm-net CIDR   where the simulated VMs get their addresses, a /16 inside 127.0.0.0/8
                  (default 127.77.0.0/16: VMs from 127.77.0.10)
  -h, --help      print this help
`
function options() {
  try {
    const { values } = parseArgs({
      options: {
        port: { type: 'string', default: '8787' },
        'sim-port': { type: 'string', default: '8006' },
        'skip-build': { type: 'boolean', default: false },
        'vm-net': { type: 'string', default: '127.77.0.0/16' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    })
    for (const name of ['port', 'sim-port'] as const) {
      const n = Number(values[name])
      if (!Number.isInteger(n) || n < 1 || n > 65_535) {
        throw new Error(`--${name} must be a port number (1-65535), not "${values[name]}"`)
      }
    }
    // The network rule: simulated VMs only ever get loopback addresses.
    if (!/^127\.(25[0-5]|2[0-4]\d|1?\d?\d)\.0\.0\/16$/.test(values['vm-net'])) {
      throw new Error(
        `--vm-net must be a /16 inside 127.0.0.0/8, such as 127.77.0.0/16, not "${values['vm-net']}"`,
      )
    }
    return values
  } catch (err) {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`)
    process.exit(2)
  }
}
const values = options()
if (values.help) {
  process.stdout.write(USAGE)
  process.exit(0)
}
const STATE = join(ROOT, '.wrangler/demo')
const say = (line: string) => process.stdout.write(`${line}\n`)
const children: ChildProcess[] = []

async function main(): Promise<void> {
  rmSync(STATE, { recursive: true, force: true })
  mkdirSync(STATE, { recursive: true })
  const run = (cmd: string, args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(cmd, args, { cwd: ROOT, stdio: 'inherit' })
      child.on('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`)),
      )
    })
  await run(process.execPath, ['scripts/ensure-dev-vars.mjs'])
  if (!values['skip-build']) await run('npm', ['run', '--silent', 'build:web'])
  const bundle = await buildRunner()

  const sim = new PveSimulator({
    port: Number(values['sim-port']),
    guestSshPort: 2222,
    // The guest's game starts once the simulated playbook has configured it, as the real one does.
    backend: new BannerBackend({
      bootDelayMs: 4_000,
      gameDelayMs: 3_000,
      log: (l) => say(`[pve-sim] ${l}`),
    }),
    timing: {
      cloneMs: 4_000,
      configMs: 500,
      resizeMs: 800,
      startMs: 1_000,
      stopMs: 800,
      destroyMs: 1_000,
    },
  })
  await sim.start()
  say(`demo: Proxmox simulator at ${sim.url} (node ${sim.options.node}, template 9000)`)
  const publishers = await serveGameUpstream()
  say(`demo: simulated Mojang and PaperMC metadata at ${publishers.paperApiUrl}`)

  const port = values.port
  const url = `http://127.0.0.1:${port}`
  // A fresh install each run, so a fresh one-time code for its first-run setup.
  const setupCode = setupCodeFromBytes(crypto.getRandomValues(new Uint8Array(SETUP_CODE_BYTES)))
  const worker = spawn(
    process.execPath,
    [
      'scripts/start.mjs',
      '--port',
      port,
      '--persist-to',
      STATE,
      '--skip-build',
      '--var',
      'TARGET_MODE:demo',
      '--var',
      `SETUP_CODE:${setupCode}`,
    ],
    { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], detached: true },
  )
  children.push(worker)
  await waitFor(
    () =>
      fetch(`${url}/api/health`).then(
        (r) => r.ok,
        () => false,
      ),
    `the dashboard on ${url}`,
    120_000,
    250,
  )

  const net = values['vm-net'].split('.').slice(0, 2).join('.')
  const encKey =
    /^APP_ENC_KEY=(.*)$/m.exec(readFileSync(join(ROOT, '.dev.vars'), 'utf8'))?.[1] ?? ''
  const { key } = await seedInstall({
    root: ROOT,
    persistTo: STATE,
    encKey,
    proxmox: sim.connection({
      gateway: `${net}.0.1`,
      dnsServers: [`${net}.0.1`],
      ipPool: { cidr: values['vm-net'], rangeStart: `${net}.0.10`, rangeEnd: `${net}.0.250` },
    }),
    runnerName: 'demo-runner',
  })
  const runnerState = join(STATE, 'runner')
  mkdirSync(runnerState, { recursive: true })
  const runner = spawn(process.execPath, [bundle, 'run'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      RUNNER_SERVER: url,
      RUNNER_KEY: key,
      RUNNER_NAME: 'demo-runner',
      RUNNER_STATE_DIR: runnerState,
      RUNNER_EXECUTOR: 'real',
      RUNNER_PROVISIONER: 'simulated',
      ...publishers.runnerEnv(),
      RUNNER_MAX_JOBS: '4',
    },
  })
  children.push(runner)
  say('')
  say(`demo: ready. Open ${url.replace('127.0.0.1', 'localhost')} and create your admin account`)
  say(`demo: with the setup code ${setupCode}`)
  say('demo: the Proxmox connection (the simulator) and a runner are already set up; deployments')
  say(`demo: go to simulated VMs on ${net}.0.x. Ctrl-C stops everything.`)

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  say('demo: stopping')
  runner.kill('SIGTERM')
  if (worker.pid) process.kill(-worker.pid, 'SIGTERM')
  await sim.stop()
  await publishers.close()
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
    console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`)
    process.exit(1)
  },
)
