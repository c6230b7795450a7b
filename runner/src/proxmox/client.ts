import type { ProxmoxConnection } from '../../../core/settings'
import { nextIdOf, taskLogOf, taskStatusOf, type TaskStatus } from './answers'
import { encodeForm, type Params } from './encode'
import { ProxmoxApiError, ProxmoxNetworkError, ProxmoxTaskError, isProxyError } from './errors'
import { createTransport, type Transport } from './transport'
import { isTaskSuccess, parseUpid } from './upid'
import { FIRST_POLL_MS, backoffMs, sleep } from './wait'

/**
 * A thin, typed client for the PVE endpoints we call (docs/proxmox-api.md#endpoints), with
 * API-token auth, the `{data}` envelope, reason-phrase errors, GET retries on 59x, and task
 * waiting.
 */

export interface ProxmoxClientOptions {
  /** Live log lines (warnings, retries). Never receives the token secret. */
  log?: (line: string) => void
  /** Per HTTP request. pveproxy gives up after 30 s idle (docs/proxmox-api.md#proxy-errors). */
  requestTimeoutMs?: number
  /** Task status poll interval; PVE clients use 1 s (docs/proxmox-api.md#tasks). */
  pollIntervalMs?: number
  /** Retries of idempotent calls on 59x / network errors. */
  maxRetries?: number
  /** First backoff delay; doubles per attempt, with jitter, up to `retryCapMs`. */
  retryBaseMs?: number
  retryCapMs?: number
}

export interface WaitTaskOptions {
  timeoutMs: number
  signal?: AbortSignal
  log?: (line: string) => void
}

/** The Proxmox API client for one connection. */
export class ProxmoxClient {
  readonly node: string
  private readonly transport: Transport
  private readonly authHeader: string
  private readonly log: (line: string) => void
  readonly pollIntervalMs: number
  private readonly maxRetries: number
  private readonly retryBaseMs: number
  private readonly retryCapMs: number

  constructor(
    readonly connection: ProxmoxConnection,
    options: ProxmoxClientOptions = {},
  ) {
    this.node = connection.node
    this.log = options.log ?? (() => {})
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000
    this.maxRetries = options.maxRetries ?? 5
    this.retryBaseMs = options.retryBaseMs ?? 500
    this.retryCapMs = options.retryCapMs ?? 10_000
    // `PVEAPIToken=<user>@<realm>!<tokenid>=<secret>`; no CSRF token needed with a token
    // (docs/proxmox-api.md#authentication).
    this.authHeader = `PVEAPIToken=${connection.tokenId}=${connection.tokenSecret}`
    this.transport = createTransport({
      apiUrl: connection.apiUrl,
      tls: connection.tls,
      warn: (line) => this.log(line),
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    })
  }

  /** Release the keep-alive sockets. */
  close(): void {
    this.transport.close()
  }

  /**
   * One API call. GET/DELETE parameters go in the query string, POST/PUT in a form body
   * (docs/proxmox-api.md#requests).
   * GETs are retried on 59x and network errors; other methods never are (their caller re-reads
   * state first, because a 596 may come back while the operation continues server-side).
   */
  async call(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    params: Params = {},
    signal?: AbortSignal,
  ): Promise<unknown> {
    const encoded = encodeForm(params)
    const inQuery = method === 'GET' || method === 'DELETE'
    const target = `/api2/json${path}${inQuery && encoded ? `?${encoded}` : ''}`
    const body = inQuery ? null : encoded
    const headers: Record<string, string> = {
      Authorization: this.authHeader,
      Accept: 'application/json',
      ...(body !== null ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
    }
    const retries = method === 'GET' ? this.maxRetries : 0
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted()
      try {
        const res = await this.transport.request(method, target, headers, body, signal)
        return parseEnvelope(method, path, res.status, res.reason, res.body)
      } catch (err) {
        const transient = isProxyError(err) || err instanceof ProxmoxNetworkError
        if (!transient || attempt >= retries) throw err
        const delay = backoffMs(attempt, this.retryBaseMs, this.retryCapMs)
        this.log(`Proxmox ${method} ${path}: ${(err as Error).message}; retrying in ${delay} ms`)
        await sleep(delay, signal)
      }
    }
  }

  /** A call whose `data` must be a UPID (or `null` for old synchronous variants, e.g. resize on PVE 7). */
  async callTask(
    method: 'POST' | 'PUT' | 'DELETE',
    path: string,
    params: Params,
    signal?: AbortSignal,
  ): Promise<string | null> {
    const data = await this.call(method, path, params, signal)
    if (data === null) return null
    if (typeof data !== 'string' || !parseUpid(data)) {
      throw new Error(
        `Proxmox ${method} ${path} returned ${JSON.stringify(data)}, expected a task id`,
      )
    }
    return data
  }

  /** `GET /cluster/nextid[?vmid=]`; the id as string or number (docs/proxmox-api.md#nextid). */
  async nextId(candidate?: number, signal?: AbortSignal): Promise<number> {
    return nextIdOf(await this.call('GET', '/cluster/nextid', { vmid: candidate }, signal))
  }

  /**
   * Wait until a task is `stopped` and check its `exitstatus` (docs/proxmox-api.md#tasks). `OK`
   * and `WARNINGS: n` succeed (warnings are logged); anything else throws
   * {@link ProxmoxTaskError} with Proxmox's text. Status is read on the UPID's node. 400 right
   * after creation and 59x are tolerated.
   */
  async waitTask(upid: string, opts: WaitTaskOptions): Promise<string> {
    const parsed = parseUpid(upid)
    if (!parsed) throw new Error(`not a Proxmox task id: ${upid}`)
    const base = `/nodes/${encodeURIComponent(parsed.node)}/tasks/${encodeURIComponent(upid)}`
    const deadline = Date.now() + opts.timeoutMs
    let missing = 0
    // Most tasks end within a few hundred ms (config, resize, start on a small VM), some within
    // a few ms of the POST's answer: poll soon, then back off to the steady interval, so fast
    // tasks do not each cost a whole second (or, from a 50 ms start, 50 ms each).
    let interval = Math.min(FIRST_POLL_MS, this.pollIntervalMs)
    for (;;) {
      opts.signal?.throwIfAborted()
      let status: TaskStatus | null = null
      try {
        status = taskStatusOf(await this.call('GET', `${base}/status`, {}, opts.signal))
      } catch (err) {
        // "no such task" can precede the log file (docs/proxmox-api.md#tasks); bounded by the
        // deadline below.
        const noSuchTask = err instanceof ProxmoxApiError && err.status === 400 && missing++ < 10
        if (!noSuchTask && !isProxyError(err)) throw err
      }
      if (status?.status === 'stopped') {
        const exit = status.exitstatus ?? 'unexpected status'
        if (isTaskSuccess(exit)) {
          if (exit !== 'OK') {
            for (const line of await this.taskLogTail(base, opts.signal)) {
              if (line.startsWith('WARN')) opts.log?.(`${parsed.type}: ${line}`)
            }
          }
          return exit
        }
        const tail = await this.taskLogTail(base, opts.signal)
        for (const line of tail.slice(-10)) opts.log?.(`${parsed.type} ${parsed.id}: ${line}`)
        throw new ProxmoxTaskError(upid, exit, tail)
      }
      if (Date.now() > deadline) {
        throw new Error(
          `Proxmox task ${parsed.type} ${parsed.id} still running after ${Math.round(opts.timeoutMs / 1000)} s (${upid})`,
        )
      }
      await sleep(interval, opts.signal)
      interval = Math.min(interval * 2, this.pollIntervalMs)
    }
  }

  private async taskLogTail(base: string, signal?: AbortSignal): Promise<string[]> {
    try {
      const raw = await this.call('GET', `${base}/log`, { start: 0, limit: 0 }, signal)
      return taskLogOf(raw)
        .slice(-20)
        .map((l) => l.t)
    } catch {
      return []
    }
  }
}

/** The `{data}` envelope on 200; a {@link ProxmoxApiError} from the reason phrase and body otherwise. */
function parseEnvelope(
  method: string,
  path: string,
  status: number,
  reason: string,
  body: string,
): unknown {
  let json: unknown = null
  if (body.trim().startsWith('{')) {
    try {
      json = JSON.parse(body)
    } catch {
      json = null
    }
  }
  const obj = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {}
  if (status === 200) {
    if (!('data' in obj)) throw new Error(`Proxmox ${method} ${path}: answer without a data field`)
    return obj.data
  }
  const errors: Record<string, string> = {}
  if (typeof obj.errors === 'object' && obj.errors !== null) {
    for (const [k, v] of Object.entries(obj.errors)) errors[k] = String(v)
  }
  const message =
    typeof obj.message === 'string' ? obj.message : !json && body.trim() ? body.trim() : null
  throw new ProxmoxApiError(method, path, status, reason, errors, message)
}
