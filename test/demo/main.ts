/**
 * `npm run demo`: the whole product on this machine with no Proxmox cluster. Starts the Proxmox
 * simulator (HTTPS, pinned certificate, simulated VMs on 127.77.x.y that answer SSH and the
 * Minecraft Server List Ping), the worker under wrangler dev with the dashboard, and a runner
 * already registered with real executors (Ansible simulated: the VMs are not real). Open the
 * dashboard, create your admin account with the setup code it prints, and deploy.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { buildRunner } from '../../scripts/build-runner.mjs'
import { SETUP_CODE_BYTES, setupCodeFromBytes } from '../../core/auth'
import { waitFor } from '../e2e/stack'
import { BannerBackend } from '../pve-sim/backend'
import { PveSimulator } from '../pve-sim/index'
import { seedInstall } from './seed'

const ROOT = new URL('../../', import.meta.url).pathname
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8787' },
    'sim-port': { type: 'string', default: '8006' },
    'skip-build': { type: 'boolean', default: false },
  },
})
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
    backend: new BannerBackend({
      bootDelayMs: 4_000,
      minecraftPort: 25_565,
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

  const encKey =
    /^APP_ENC_KEY=(.*)$/m.exec(readFileSync(join(ROOT, '.dev.vars'), 'utf8'))?.[1] ?? ''
  const { key } = await seedInstall({
    root: ROOT,
    persistTo: STATE,
    encKey,
    proxmox: sim.connection({
      ipPool: { cidr: '127.77.0.0/16', rangeStart: '127.77.0.10', rangeEnd: '127.77.0.250' },
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
      RUNNER_MAX_JOBS: '4',
    },
  })
  children.push(runner)
  say('')
  say(`demo: ready. Open ${url.replace('127.0.0.1', 'localhost')} and create your admin account`)
  say(`demo: with the setup code ${setupCode}`)
  say('demo: the Proxmox connection (the simulator) and a runner are already set up; deployments')
  say('demo: go to simulated VMs on 127.77.0.x. Ctrl-C stops everything.')

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  say('demo: stopping')
  runner.kill('SIGTERM')
  if (worker.pid) process.kill(-worker.pid, 'SIGTERM')
  await sim.stop()
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
    console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`)
    process.exit(1)
  },
)
