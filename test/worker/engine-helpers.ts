import { exports } from 'cloudflare:workers'
import { env } from 'cloudflare:test'
import { afterEach } from 'vitest'
import { call, json, ORIGIN, setupAdmin } from './helpers'

export const PROXMOX = {
  apiUrl: 'https://127.0.0.1:8006',
  node: 'pve',
  tokenId: 'deployer@pve!pgd',
  tokenSecret: 'c0ffee00-1111-2222-3333-444455556666',
  tls: { mode: 'insecure' },
  templateVmid: 9000,
  storage: 'local-lvm',
  bridge: 'vmbr0',
  vlan: null,
  gateway: '127.77.0.1',
  dnsServers: ['127.77.0.1'],
  searchDomain: '',
  ipPool: { cidr: '127.77.0.0/16', rangeStart: '127.77.0.10', rangeEnd: '127.77.0.12' },
  ciUser: 'debian',
}

export const MINECRAFT = { eula: true, memoryMb: 2048 }

export async function configureProxmox(cookie: string): Promise<void> {
  const res = await call('PUT', '/api/settings/proxmox', { cookie, body: PROXMOX })
  if (res.status !== 200) throw new Error(`settings: ${res.status} ${await res.text()}`)
}

/** Create a runner in the dashboard and redeem its code, as `pgd-runner register` does. */
export async function registerRunner(
  cookie: string,
  name = 'runner-1',
): Promise<{ runnerId: string; key: string }> {
  const created = await json<{ code: string; runner: { id: string } }>(
    await call('POST', '/api/runners', { cookie, body: { name } }),
  )
  const res = await call('POST', '/api/runner/register', {
    body: { code: created.code, version: '0.1.0' },
  })
  if (res.status !== 200) throw new Error(`register: ${res.status} ${await res.text()}`)
  return json(res)
}

/** A client websocket against the real worker entry, with a message log to wait on. */
export class TestSocket {
  readonly messages: string[] = []
  closed: { code: number; reason: string } | null = null
  private waiters: (() => void)[] = []

  constructor(readonly ws: WebSocket) {
    ws.accept()
    ws.addEventListener('message', (e) => {
      this.messages.push(typeof e.data === 'string' ? e.data : '(binary)')
      this.wake()
    })
    ws.addEventListener('close', (e) => {
      this.closed = { code: e.code, reason: e.reason }
      this.wake()
    })
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w()
  }

  send(body: unknown): void {
    this.ws.send(typeof body === 'string' ? body : JSON.stringify({ v: 1, ...(body as object) }))
  }

  /** JSON frames received so far. */
  frames<T = Record<string, unknown>>(): T[] {
    return this.messages.filter((m) => m.startsWith('{')).map((m) => JSON.parse(m) as T)
  }

  /** Wait until `test` holds over the frames; fails with `what` after `timeoutMs`. */
  async until<T>(what: string, test: () => T | undefined | false, timeoutMs = 5_000): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const value = test()
      if (value) return value
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${what}; got ${this.messages.slice(-5).join(' | ')}; closed=${JSON.stringify(this.closed)}`,
        )
      }
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve)
        setTimeout(resolve, 50)
      })
    }
  }

  frame<T = Record<string, unknown>>(
    type: string,
    timeoutMs?: number,
    pick?: (f: T) => boolean,
  ): Promise<T> {
    return this.until(
      `a ${type} frame`,
      () => this.frames<T & { type: string }>().find((f) => f.type === type && (!pick || pick(f))),
      timeoutMs,
    )
  }

  close(): void {
    try {
      this.ws.close(1000, 'test done')
    } catch {
      // already closed
    }
  }
}

export async function openSocket(
  path: string,
  headers: Record<string, string> = {},
): Promise<TestSocket> {
  const res = await exports.default.fetch(
    new Request(`${ORIGIN}${path}`, { headers: { upgrade: 'websocket', ...headers } }),
  )
  if (!res.webSocket) throw new Error(`no websocket for ${path}: ${res.status} ${await res.text()}`)
  return new TestSocket(res.webSocket)
}

/**
 * What the test runners answer a `capacity.request` with: a roomy node unless a test says
 * otherwise (`null`: they stay silent, as a hung runner would). Reset after each test by
 * {@link useSockets}.
 */
export const runnerCapacity: {
  answer: { capacity: Record<string, unknown> | null; error?: string } | null
  asked: number
} = { answer: null, asked: 0 }

export function roomyNode(memoryFreeMiB = 60 * 1024, storageAvailGiB = 900) {
  return {
    node: 'pve',
    memory: { free: memoryFreeMiB * 1024 ** 2, total: 64 * 1024 ** 3 },
    storage: { id: 'local-lvm', avail: storageAvailGiB * 1024 ** 3, total: 1024 ** 4 },
  }
}

function resetCapacity(): void {
  runnerCapacity.answer = { capacity: roomyNode() }
  runnerCapacity.asked = 0
}
resetCapacity()

/** A runner's control socket, hello sent, welcome received; it answers capacity requests. */
export async function connectRunner(
  key: string,
  maxJobs = 2,
  activeJobs: string[] = [],
): Promise<TestSocket> {
  const ws = await openSocket('/api/runner/connect', { authorization: `Bearer ${key}` })
  ws.ws.addEventListener('message', (e) => {
    if (typeof e.data !== 'string' || !e.data.includes('"capacity.request"')) return
    const { requestId } = JSON.parse(e.data) as { requestId: string }
    runnerCapacity.asked += 1
    if (runnerCapacity.answer)
      ws.send({ type: 'capacity.result', requestId, ...runnerCapacity.answer })
  })
  ws.send({
    type: 'hello',
    version: '0.1.0',
    sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITest runner',
    maxJobs,
    activeJobs,
  })
  await ws.frame('welcome')
  return ws
}

/**
 * Open a job's socket as the runner does, on the deployment its assignment names (looked up
 * here from the job's row, for tests that kept only the job id).
 */
export async function connectJob(
  key: string,
  jobId: string,
): Promise<{ ws: TestSocket; welcome: Record<string, unknown> }> {
  const row = await env.DB.prepare('SELECT deployment_id AS d FROM jobs WHERE id = ?')
    .bind(jobId)
    .first<{ d: string }>()
  if (!row) throw new Error(`no job ${jobId}`)
  const ws = await openSocket(`/api/runner/deployments/${row.d}/jobs/${jobId}/connect`, {
    authorization: `Bearer ${key}`,
  })
  ws.send({ type: 'job.hello', jobId, attempt: 1 })
  const welcome = await ws.frame('job.welcome')
  return { ws, welcome }
}

export async function createDeployment(cookie: string, body: Record<string, unknown> = {}) {
  const res = await call('POST', '/api/deployments', {
    cookie,
    body: { name: 'survival', game: 'minecraft', config: MINECRAFT, ...body },
  })
  if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`)
  return (await json<{ deployment: { id: string; ip: string; status: string } }>(res)).deployment
}

export function logLines(from: number, count: number, step = 'provision') {
  return Array.from({ length: count }, (_, i) => ({
    seq: from + i,
    ts: Date.now(),
    step,
    stream: 'stdout',
    text: `line ${from + i}`,
  }))
}

export async function deploymentStatus(cookie: string, id: string): Promise<string> {
  const res = await call('GET', `/api/deployments/${id}`, { cookie })
  return (await json<{ deployment: { status: string } }>(res)).deployment.status
}

/**
 * The sockets a test opens, closed after each test: call once at the top of a file, then wrap
 * every socket in the returned function.
 */
export function useSockets(): <T extends TestSocket>(s: T) => T {
  const sockets: TestSocket[] = []
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close()
    resetCapacity()
  })
  return (s) => (sockets.push(s), s)
}

/** An admin, the Proxmox settings, and a registered runner whose control socket said hello. */
export async function withRunner(track: <T extends TestSocket>(s: T) => T) {
  const cookie = await setupAdmin()
  await configureProxmox(cookie)
  const { key } = await registerRunner(cookie)
  return { cookie, key, control: track(await connectRunner(key)) }
}

/** The `n`th job.assign frame on a runner's control socket (1-based). */
export function nthAssign<J = { jobId: string; kind: string }>(
  control: TestSocket,
  n: number,
  timeoutMs?: number,
): Promise<{ job: J }> {
  return control.until(
    `job.assign #${n}`,
    () => control.frames<{ type: string; job: J }>().filter((f) => f.type === 'job.assign')[n - 1],
    timeoutMs,
  )
}

/**
 * Play a whole job on its socket as a runner would: each step running then done (clone
 * reporting VM 4242), then `end` (success by default); resolves once the socket closes.
 */
export async function playJob(
  track: <T extends TestSocket>(s: T) => T,
  key: string,
  jobId: string,
  steps: readonly string[],
  end: object = { outcome: 'succeeded' },
): Promise<void> {
  const { ws } = await connectJob(key, jobId)
  track(ws)
  for (const step of steps) {
    ws.send({ type: 'step', jobId, step, status: 'running', at: Date.now() })
    const checkpoint = step === 'clone' ? { vmid: 4242 } : undefined
    ws.send({ type: 'step', jobId, step, status: 'done', at: Date.now(), checkpoint })
  }
  ws.send({ type: 'job.done', jobId, ...end })
  await ws.until('close', () => ws.closed)
}

/** Wait (bounded, 5 s) until the deployment's status is `want`; says the last one when not. */
export async function statusBecomes(cookie: string, id: string, want: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await deploymentStatus(cookie, id)) === want) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`status never became ${want}: ${await deploymentStatus(cookie, id)}`)
}
