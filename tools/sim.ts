import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ensureImage } from '../test/vm/qemu'
import { BannerBackend } from '../test/pve-sim/backend'
import { PveSimulator } from '../test/pve-sim/index'
import { QemuBackend } from '../test/pve-sim/qemu-backend'

/**
 * CLI for the demo and manual poking:
 *   npx tsx tools/sim.ts [--port 8006] [--http] [--secret S] [--guest-ssh-port 2222]
 *        [--boot-delay-ms 2000] [--clone-ms 3000] [--latency-ms 0] [--error-rate 0] [--auth-delay]
 *        [--backend banner|qemu]
 * `qemu` boots real Debian 13 guests (root; the image is built and cached by test/vm/build-image.sh).
 * Prints the URL, token and fingerprint as JSON on the first line, then logs.
 */

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8006' },
    host: { type: 'string', default: '127.0.0.1' },
    http: { type: 'boolean', default: false },
    secret: { type: 'string' },
    'guest-ssh-port': { type: 'string', default: '2222' },
    'boot-delay-ms': { type: 'string', default: '2000' },
    'clone-ms': { type: 'string', default: '3000' },
    'task-ms': { type: 'string', default: '500' },
    'latency-ms': { type: 'string', default: '0' },
    'error-rate': { type: 'string', default: '0' },
    'auth-delay': { type: 'boolean', default: false },
    backend: { type: 'string', default: 'banner' },
  },
})

const num = (v: string | undefined, name: string): number => {
  const n = Number(v)
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number`)
  return n
}

const log = (line: string): void => console.error(`[pve-sim] ${line}`)
const taskMs = num(values['task-ms'], 'task-ms')
if (values.backend !== 'banner' && values.backend !== 'qemu')
  throw new Error('--backend must be banner or qemu')
const backend =
  values.backend === 'qemu'
    ? new QemuBackend({
        image: ensureImage(),
        workDir: mkdtempSync(join(tmpdir(), 'pve-sim-qemu-')),
        ports: [25_565],
        log,
      })
    : new BannerBackend({ bootDelayMs: num(values['boot-delay-ms'], 'boot-delay-ms'), log })
const sim = new PveSimulator({
  host: values.host,
  port: num(values.port, 'port'),
  https: !values.http,
  guestSshPort: num(values['guest-ssh-port'], 'guest-ssh-port'),
  authFailDelayMs: values['auth-delay'] ? 3_000 : 0,
  backend,
  log,
  timing: {
    cloneMs: num(values['clone-ms'], 'clone-ms'),
    configMs: taskMs,
    resizeMs: taskMs,
    startMs: taskMs,
    stopMs: taskMs,
    destroyMs: taskMs,
    latencyMs: num(values['latency-ms'], 'latency-ms'),
  },
  faults: { errorRate: num(values['error-rate'], 'error-rate') },
  ...(values.secret
    ? {
        tokens: [
          { tokenId: 'deployer@pve!pgd', secret: values.secret, privileges: 'all' as const },
        ],
      }
    : {}),
})

const url = await sim.start()
console.log(
  JSON.stringify({
    url,
    node: sim.options.node,
    tokenId: sim.token.tokenId,
    tokenSecret: sim.token.secret,
    fingerprint: sim.fingerprint || null,
    templateVmid: 9000,
    storage: 'local-lvm',
    bridge: 'vmbr0',
    guestSshPort: sim.options.guestSshPort,
    note: 'use an IP pool inside 127.0.0.0/8, e.g. 127.77.0.0/16',
    /** Ready-made ProxmoxConnection settings for the wizard or a runner job. */
    settings: sim.connection(),
  }),
)

let stopping = false
const shutdown = (): void => {
  if (stopping) return
  stopping = true
  log('stopping')
  void sim.stop().then(() => process.exit(0))
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
