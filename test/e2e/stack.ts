import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import type { LiveStatus } from '../../core/protocol'

/**
 * The real local stack for end-to-end tests: `wrangler dev` (workerd, local D1 and Durable
 * Objects) on a free loopback port with its own state folder, started through the same script as
 * `npm start`. Everything stays on 127.0.0.1.
 */

const ROOT = new URL('../../', import.meta.url).pathname

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address()
      const port = typeof address === 'object' && address ? address.port : 0
      srv.close(() => resolve(port))
    })
  })
}

export async function waitFor<T>(
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  message: string,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

/**
 * The one-time setup code every test stack runs with (passed as SETUP_CODE); the first-run
 * setup (the API's and the wizard's) must give it.
 */
export const E2E_SETUP_CODE = 'E2E00-SETUP-CODE0-LOCAL'

export interface Stack {
  url: string
  /** The code POST /api/setup needs. */
  setupCode: string
  /** wrangler's state folder (local D1 and Durable Objects). */
  persistTo: string
  output: () => string
  stop(): Promise<void>
}

/**
 * A state folder whose local D1 has every migration applied, made once per set of migrations
 * (named by their hash, under node_modules/.cache) and copied for each stack: `wrangler d1
 * migrations apply` costs ~6 s of CPU a time, and the e2e files start ~20 stacks. The first
 * caller builds it in a folder of its own and renames it into place, so concurrent callers never
 * see half of one.
 */
function migratedState(): string {
  const dir = join(ROOT, 'migrations')
  const hash = createHash('sha256')
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.sql')) continue
    hash
      .update(name)
      .update('\0')
      .update(readFileSync(join(dir, name)))
      .update('\0')
  }
  const cacheRoot = join(ROOT, 'node_modules/.cache/pgd-e2e-d1')
  const ready = join(cacheRoot, hash.digest('hex').slice(0, 16))
  if (existsSync(ready)) return ready
  mkdirSync(cacheRoot, { recursive: true })
  const building = mkdtempSync(join(cacheRoot, 'building-'))
  execFileSync(
    'npx',
    ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', building],
    {
      cwd: ROOT,
      stdio: 'pipe',
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' },
      timeout: 120_000,
    },
  )
  try {
    renameSync(building, ready)
  } catch {
    // Another process put the same one in place first.
    rmSync(building, { recursive: true, force: true })
  }
  return ready
}

/**
 * Start wrangler dev; resolves once /api/health answers. `vars` are NAME:VALUE pairs for
 * wrangler's --var (e.g. TARGET_MODE:demo); SETUP_CODE is E2E_SETUP_CODE unless `vars` gives
 * another. `script`: another entry point than the product's worker (the bench's baseline).
 */
export async function startStack(
  options: { vars?: string[]; script?: string } = {},
): Promise<Stack> {
  const vars = options.vars ?? []
  const setupCode =
    vars.find((v) => v.startsWith('SETUP_CODE:'))?.slice('SETUP_CODE:'.length) ?? E2E_SETUP_CODE
  if (!existsSync(join(ROOT, 'web/dist/index.html'))) {
    throw new Error('web/dist is missing: run `npm run build:web` first (npm test does)')
  }
  const port = await freePort()
  const state = mkdtempSync(join(tmpdir(), 'pgd-e2e-state-'))
  cpSync(migratedState(), state, { recursive: true })
  let out = ''
  const child: ChildProcess = spawn(
    process.execPath,
    [
      'scripts/start.mjs',
      '--port',
      String(port),
      '--persist-to',
      state,
      '--skip-build',
      '--skip-migrations',
      ...(options.script ? ['--script', options.script] : []),
      ...[...vars, `SETUP_CODE:${setupCode}`].flatMap((v) => ['--var', v]),
    ],
    {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true' },
    },
  )
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()))
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM')
      } catch {
        // already gone
      }
      await Promise.race([
        new Promise((r) => child.once('exit', r)),
        new Promise((r) => setTimeout(r, 5_000)),
      ])
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    rmSync(state, { recursive: true, force: true })
  }
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null)
          throw new Error(`wrangler dev exited ${child.exitCode}:\n${out}`)
        return fetch(`${url}/api/health`).then(
          (r) => r.ok,
          () => false,
        )
      },
      `wrangler dev on ${url}`,
      90_000,
      200,
    )
  } catch (err) {
    await stop()
    throw err
  }
  return { url, setupCode, persistTo: state, output: () => out, stop }
}

/** A browser-like API client: same-origin header, session cookie kept. */
export class ApiClient {
  cookie = ''
  constructor(readonly url: string) {}

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        origin: this.url,
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const setCookie = res.headers.get('set-cookie')
    const m = setCookie ? /session_id=([^;]+)/.exec(setCookie) : null
    if (m) this.cookie = `session_id=${m[1]}`
    const text = await res.text()
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as T }
  }

  async ok<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request<T>(method, path, body)
    if (res.status >= 300)
      throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`)
    return res.body
  }
}

/** The dashboard's live socket for a deployment, collecting state and log frames. */
export class DashboardSocket {
  readonly lines: { seq: number; ts: number; text: string; step: string | null }[] = []
  /** Called for every line as it arrives, with the arrival time (epoch ms). */
  onLine: ((line: { seq: number; ts: number; text: string }, at: number) => void) | null = null
  readonly states: string[] = []
  /** Live statuses (power, game) as they arrived, from `state` and `live` frames. */
  readonly lives: LiveStatus[] = []
  private ws: WebSocket

  constructor(api: ApiClient, deploymentId: string, after = 0) {
    this.ws = new WebSocket(
      `${api.url.replace('http', 'ws')}/api/deployments/${deploymentId}/events?after=${after}`,
      {
        headers: { cookie: api.cookie, origin: api.url },
      },
    )
    this.ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as {
        type: string
        status?: string
        lines?: { seq: number; ts: number; text: string; step: string | null }[]
        live?: LiveStatus | null
      }
      if (frame.type === 'state' && frame.status && this.states.at(-1) !== frame.status)
        this.states.push(frame.status)
      if ((frame.type === 'live' || frame.type === 'state') && frame.live)
        this.lives.push(frame.live)
      if (frame.type === 'logs') {
        const at = performance.timeOrigin + performance.now()
        for (const line of frame.lines ?? []) {
          this.lines.push(line)
          this.onLine?.(line, at)
        }
      }
    })
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve())
      this.ws.once('error', reject)
    })
  }

  get status(): string | undefined {
    return this.states.at(-1)
  }

  get live(): LiveStatus | undefined {
    return this.lives.at(-1)
  }

  close(): void {
    this.ws.close()
  }
}

export const E2E_PROXMOX = {
  apiUrl: 'https://127.0.0.1:8006',
  node: 'pve',
  tokenId: 'deployer@pve!pgd',
  tokenSecret: 'e2e00000-1111-2222-3333-444455556666',
  tls: { mode: 'insecure' },
  templateVmid: 9000,
  storage: 'local-lvm',
  bridge: 'vmbr0',
  vlan: null,
  gateway: '127.78.0.1',
  dnsServers: ['127.78.0.1'],
  ipPool: { cidr: '127.78.0.0/16', rangeStart: '127.78.0.10', rangeEnd: '127.78.0.200' },
  ciUser: 'debian',
}

/** Admin, Proxmox settings and a runner registration code: what the wizard does. */
export async function prepareInstall(
  api: ApiClient,
  proxmox: Record<string, unknown> = E2E_PROXMOX,
): Promise<{ code: string }> {
  await api.ok('POST', '/api/setup', {
    username: 'admin',
    password: 'e2e admin password',
    setupCode: E2E_SETUP_CODE,
  })
  await api.ok('PUT', '/api/settings/proxmox', proxmox)
  return api.ok<{ code: string }>('POST', '/api/runners', { name: 'e2e-runner' })
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}
