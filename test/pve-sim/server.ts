import type http from 'node:http'
import type { SimCluster, Caller } from './cluster'
import { ListWithTotal, SimError, sleep } from './engine'
import { ROUTES } from './routes'
import { loadEndpoints, validateParams, type Endpoint, type ParamValue } from './schema'

/**
 * The HTTP layer of pveproxy/pvedaemon as clients see it (docs/proxmox-api.md, #tls to
 * #proxy-errors): token auth,
 * PVE's form decoder, schema validation, the `{data}` envelope, reason-phrase errors, 59x faults.
 */

/** One request as the simulator saw it; tests assert on these. */
export interface SimRequest {
  method: string
  path: string
  /** Schema key, e.g. `POST /nodes/{node}/qemu/{vmid}/clone`, or null when no route matched. */
  endpoint: string | null
  params: Record<string, ParamValue>
  /** Schema validation errors (empty when the request was valid). */
  errors: Record<string, string>
  status: number
  /** When the request arrived (epoch ms). */
  at: number
  /** The `data` of a 200 answer. */
  response?: unknown
}

const MAX_RECORDED_REQUESTS = 100_000

/**
 * PVE's hand-written `decode_urlencoded` (docs/proxmox-api.md#requests): `&`/`;` split, first
 * `=` only, `+` is a space.
 */
export function decodeUrlencoded(data: string): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {}
  const unescape = (s: string): string => {
    const bytes: number[] = []
    const plain = s.replace(/\+/g, ' ')
    for (let i = 0; i < plain.length; i++) {
      const hex = plain.slice(i + 1, i + 3)
      if (plain[i] === '%' && /^[0-9a-fA-F]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16))
        i += 2
      } else bytes.push(...Buffer.from(plain[i] ?? '', 'utf8'))
    }
    return Buffer.from(bytes).toString('utf8')
  }
  for (const kv of data.split(/[&;]/)) {
    if (kv === '') continue
    // Perl `my ($k, $v) = split(/=/, $kv)`: anything after a second raw `=` is dropped.
    const [k = '', v] = kv.split('=')
    const key = unescape(k)
    const value = v === undefined ? '' : unescape(v)
    const old = out[key]
    out[key] = old === undefined ? value : Array.isArray(old) ? [...old, value] : [old, value]
  }
  return out
}

const compiled = Object.entries(loadEndpoints()).map(([key, ep]) => ({
  key,
  ep,
  method: ep.method,
  segments: ep.path.split('/').filter(Boolean),
}))

function matchRoute(
  method: string,
  path: string,
): { key: string; ep: Endpoint; pathParams: Record<string, string> } | 'no-method' | null {
  const segs = path
    .split('/')
    .filter(Boolean)
    .map((s) => decodeURIComponent(s))
  let pathMatched = false
  for (const r of compiled) {
    if (r.segments.length !== segs.length) continue
    const pathParams: Record<string, string> = {}
    const ok = r.segments.every((s, i) => {
      const m = /^\{(.+)\}$/.exec(s)
      if (m) pathParams[m[1] ?? ''] = segs[i] ?? ''
      return m !== null || s === segs[i]
    })
    if (!ok) continue
    pathMatched = true
    if (r.method === method) return { key: r.key, ep: r.ep, pathParams }
  }
  return pathMatched ? 'no-method' : null
}

/** Send PVE's answer: `{data}` on 200; on errors the first message line as reason phrase. */
function send(
  res: http.ServerResponse,
  status: number,
  message: string,
  body: string | null,
): void {
  const reason = (message.split('\n')[0] ?? '').replace(/[^\t\x20-\x7e]/g, '?')
  res.writeHead(status, reason, {
    'Content-Type': 'application/json;charset=UTF-8',
    Server: 'pve-api-daemon/3.0',
    'Cache-Control': 'max-age=0',
    Pragma: 'no-cache',
    Expires: new Date().toUTCString(),
    ...(status >= 400 ? { Connection: 'close' } : {}),
  })
  res.end(body ?? '')
}

export interface ServerDeps {
  cluster: SimCluster
  requests: SimRequest[]
  random: () => number
}

/** The request handler for node:http / node:https. */
export function createRequestHandler(deps: ServerDeps): http.RequestListener {
  const { cluster } = deps
  const opts = cluster.opts
  let inFlight = 0
  return (req, res) => {
    inFlight += 1
    res.on('close', () => {
      inFlight -= 1
    })
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      void handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((err: unknown) => {
        opts.log(`simulator bug: ${err instanceof Error ? err.stack : String(err)}`)
        if (!res.headersSent) send(res, 500, 'internal simulator error', null)
      })
    })
  }

  async function handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: string,
  ): Promise<void> {
    const method = req.method ?? 'GET'
    const url = new URL(req.url ?? '/', 'http://sim')
    const record: SimRequest = {
      method,
      path: url.pathname,
      endpoint: null,
      params: {},
      errors: {},
      status: 0,
      at: Date.now(),
    }
    deps.requests.push(record)
    // Bounded for long demo runs: keep the most recent requests.
    if (deps.requests.length > MAX_RECORDED_REQUESTS) deps.requests.splice(0, 1_000)
    let lost: { status: number; reason: string } | null = null
    const reply = (status: number, message: string, json: unknown): void => {
      if (lost) {
        record.status = lost.status
        send(res, lost.status, lost.reason, null)
        return
      }
      record.status = status
      send(res, status, message, json === undefined ? null : JSON.stringify(json))
    }
    const fail = (status: number, message: string, errors?: Record<string, string>): void => {
      const withNl = message.endsWith('\n') ? message : `${message}\n`
      reply(status, message, {
        data: null,
        ...(errors ? { errors } : {}),
        ...(opts.legacyErrorBody ? {} : { message: withNl }),
      })
    }
    if (opts.timing.latencyMs > 0) await sleep(opts.timing.latencyMs)

    const m = /^\/api2\/+([a-z][a-z0-9]+)(\/.*)?$/.exec(url.pathname)
    if (!m || m[1] !== 'json') {
      record.status = 501
      send(res, 501, 'no such uri', 'no such uri')
      return
    }
    const apiPath = m[2] ?? '/'

    // pveproxy's own failures (docs/proxmox-api.md#proxy-errors): the request never reached the
    // handler, or (afterEffect)
    // it did and only its answer was lost.
    const pe = opts.faults.proxyErrors
    if (pe.count > 0 && (pe.match?.(method, apiPath) ?? true)) {
      pe.count -= 1
      if (pe.status === 0) {
        // A reset connection, no answer at all (e.g. a stale keep-alive socket).
        record.status = 0
        req.socket.destroy()
        return
      }
      if (pe.afterEffect) {
        lost = { status: pe.status, reason: pe.reason }
      } else {
        record.status = pe.status
        send(res, pe.status, pe.reason, null)
        return
      }
    }
    const overloaded = opts.faults.overloadAbove !== null && inFlight > opts.faults.overloadAbove
    if (overloaded || (opts.faults.errorRate > 0 && deps.random() < opts.faults.errorRate)) {
      record.status = 596
      send(res, 596, 'Connection timed out', null)
      return
    }

    const caller = authenticate(req.headers.authorization)
    if (typeof caller === 'string') {
      // Empty body, Connection: close, delayed (3 s in PVE): docs/proxmox-api.md#authentication.
      if (opts.authFailDelayMs > 0) await sleep(opts.authFailDelayMs)
      record.status = 401
      send(res, 401, caller, null)
      return
    }

    const route = matchRoute(method, apiPath)
    if (route === null || route === 'no-method') {
      fail(501, `Method '${method} ${apiPath}' not implemented`)
      return
    }
    record.endpoint = route.key
    if (route.ep.allowtoken === 0) {
      fail(
        403,
        `Permission check failed (URI '${apiPath}' not available with API token, need proper ticket.)`,
      )
      return
    }
    if ((method === 'GET' || method === 'DELETE') && body.length > 0) {
      fail(501, `Unexpected content for method '${method}'`)
      return
    }

    let params: Record<string, ParamValue> = {}
    const ctype = req.headers['content-type'] ?? ''
    if (body.length > 0 && ctype.startsWith('application/json')) {
      try {
        const parsed: unknown = JSON.parse(body)
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
          params = parsed as Record<string, ParamValue>
      } catch {
        fail(400, 'Parameter verification failed.', { body: 'invalid JSON' })
        return
      }
    } else if (body.length > 0) {
      params = decodeUrlencoded(body)
    }
    Object.assign(params, decodeUrlencoded(url.search.slice(1)))
    delete params._dc
    for (const [k, v] of Object.entries(route.pathParams)) {
      if (k in params && String(params[k]) !== v) {
        fail(400, 'Parameter verification failed.', {
          [k]: 'duplicate parameter (already defined in URI) with conflicting values!',
        })
        return
      }
      params[k] = v
    }
    record.params = params
    const errors = validateParams(route.ep, params)
    if (Object.keys(errors).length > 0) {
      record.errors = errors
      fail(400, 'Parameter verification failed.', errors)
      return
    }

    const handler = ROUTES[route.key]
    if (!handler) {
      fail(501, `Method '${method} ${apiPath}' not implemented`)
      return
    }
    try {
      const result = await handler(cluster, params, caller)
      record.response = result instanceof ListWithTotal ? result.data : (result ?? null)
      if (result instanceof ListWithTotal)
        reply(200, 'OK', { data: result.data, total: result.total })
      else reply(200, 'OK', { data: result ?? null })
    } catch (err) {
      if (err instanceof SimError) fail(err.status, err.message, err.errors)
      else fail(500, err instanceof Error ? err.message : String(err))
    }
  }

  /**
   * `PVEAPIToken=user@realm!id=secret` (or a space), secret split on the last `=`
   * (docs/proxmox-api.md#authentication).
   */
  function authenticate(header: string | undefined): Caller | string {
    const m = /(?:^|\s)PVEAPIToken(?:=| )([^;]*)/.exec(header ?? '')
    if (!m) return 'No ticket'
    let value: string
    try {
      value = decodeURIComponent(m[1] ?? '')
    } catch {
      return 'Authentication failed!'
    }
    const eq = value.lastIndexOf('=')
    const tokenId = value.slice(0, eq)
    const secret = value.slice(eq + 1)
    const token = opts.tokens.find((t) => t.tokenId === tokenId && t.secret === secret)
    return token && eq > 0 ? { tokenId, token } : 'Authentication failed!'
  }
}
