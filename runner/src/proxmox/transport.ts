import http from 'node:http'
import https from 'node:https'
import tls from 'node:tls'
import type { Duplex } from 'node:stream'
import type { ProxmoxTls } from '../../../core/settings'
import { ProxmoxNetworkError, ProxmoxTlsError } from './errors'

/**
 * One HTTP(S) exchange with pveproxy, with the cluster certificate pinned.
 *
 * Proxmox serves a certificate signed by its own cluster CA (docs/proxmox-api.md#tls). Node's
 * global fetch cannot pin, so this uses node:https with an Agent per client:
 * - `fingerprint`: the chain is not verified (it is self-signed), but the leaf's SHA-256 must equal
 *   the pin. The check runs in `createConnection` before the socket is handed to the request, so
 *   not a byte (the token!) is written to a server that fails it. `checkServerIdentity` would not
 *   do: Node skips it when chain verification fails (docs/proxmox-api.md#tls).
 * - `ca`: normal verification against the cluster CA (`pve-root-ca.pem`), hostname included.
 * - `insecure`: no verification; only when the admin chose it, with a warning in the log.
 */

export interface RawResponse {
  status: number
  reason: string
  body: string
}

export interface TransportOptions {
  apiUrl: string
  tls: ProxmoxTls
  /** Called once when TLS verification is disabled. */
  warn: (line: string) => void
  requestTimeoutMs: number
}

export interface Transport {
  request(
    method: string,
    pathAndQuery: string,
    headers: Record<string, string>,
    body: string | null,
    signal?: AbortSignal,
  ): Promise<RawResponse>
  close(): void
}

/** Normalise a fingerprint to `AA:BB:…` uppercase, whatever separators the admin pasted. */
export function normaliseFingerprint(fp: string): string {
  const hex = fp.replace(/[^0-9a-fA-F]/g, '').toUpperCase()
  return hex.match(/.{2}/g)?.join(':') ?? ''
}

class PinnedAgent extends https.Agent {
  constructor(
    private readonly pin: string,
    opts: https.AgentOptions,
  ) {
    super(opts)
  }

  override createConnection(
    options: tls.ConnectionOptions,
    callback?: (err: Error | null, socket: Duplex) => void,
  ): Duplex | undefined {
    const socket = tls.connect({ ...options, rejectUnauthorized: false })
    const fail = (err: Error): void => {
      socket.destroy()
      callback?.(err, socket)
    }
    socket.once('secureConnect', () => {
      const got = socket.getPeerCertificate().fingerprint256 ?? ''
      if (normaliseFingerprint(got) !== this.pin) {
        fail(
          new ProxmoxTlsError(
            `the Proxmox certificate does not match the pinned fingerprint (expected ${this.pin}, got ${got || 'none'}): if the certificate was renewed on purpose, copy the new fingerprint from the node's Certificates page`,
          ),
        )
        return
      }
      socket.removeListener('error', onEarlyError)
      callback?.(null, socket)
    })
    const onEarlyError = (err: Error): void => fail(err)
    socket.once('error', onEarlyError)
    return undefined
  }
}

/** Build the transport for one Proxmox connection. */
export function createTransport(opts: TransportOptions): Transport {
  const url = new URL(opts.apiUrl)
  const isHttps = url.protocol === 'https:'
  let agent: http.Agent
  if (!isHttps) {
    opts.warn(
      `Proxmox API at ${url.origin} is plain HTTP (no TLS): acceptable only for a local simulator`,
    )
    agent = new http.Agent({ keepAlive: true, maxSockets: 8 })
  } else if (opts.tls.mode === 'fingerprint') {
    agent = new PinnedAgent(normaliseFingerprint(opts.tls.fingerprint), {
      keepAlive: true,
      maxSockets: 8,
    })
  } else if (opts.tls.mode === 'ca') {
    agent = new https.Agent({ keepAlive: true, maxSockets: 8, ca: opts.tls.caPem })
  } else {
    opts.warn(
      `WARNING: TLS verification of ${url.origin} is DISABLED (insecure mode). Anyone on the path can read the API token. Pin the fingerprint or the cluster CA in Settings.`,
    )
    agent = new https.Agent({ keepAlive: true, maxSockets: 8, rejectUnauthorized: false })
  }
  const lib = isHttps ? https : http

  return {
    request(method, pathAndQuery, headers, body, signal) {
      return new Promise<RawResponse>((resolve, reject) => {
        const req = lib.request(
          {
            protocol: url.protocol,
            hostname: url.hostname.replace(/^\[|\]$/g, ''),
            port: url.port || (isHttps ? 443 : 80),
            method,
            path: pathAndQuery,
            agent,
            headers: {
              ...headers,
              ...(body !== null ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}),
            },
            timeout: opts.requestTimeoutMs,
            signal,
          },
          (res) => {
            const chunks: Buffer[] = []
            res.on('data', (c: Buffer) => chunks.push(c))
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                reason: res.statusMessage ?? '',
                body: Buffer.concat(chunks).toString('utf8'),
              }),
            )
            res.on('error', (err) => reject(new ProxmoxNetworkError(err.message)))
          },
        )
        req.on('timeout', () => {
          req.destroy(
            new ProxmoxNetworkError(
              `no answer from ${url.host} within ${opts.requestTimeoutMs} ms (${method} ${pathAndQuery.split('?')[0]})`,
            ),
          )
        })
        req.on('error', (err) => {
          // Cancel: surface the caller's reason, not Node's generic AbortError.
          if (signal?.aborted) reject(signal.reason)
          else if (err instanceof ProxmoxTlsError || err instanceof ProxmoxNetworkError) reject(err)
          else if (err.name === 'AbortError') reject(err)
          else if (/certificate|self.signed|SSL|TLS/i.test(`${err.message} ${codeOf(err)}`)) {
            reject(
              new ProxmoxTlsError(
                `TLS verification of ${url.host} failed (${codeOf(err) || err.message}): check the CA certificate (/etc/pve/pve-root-ca.pem) and that ${url.hostname} is a name or IP in the node certificate`,
              ),
            )
          } else {
            reject(new ProxmoxNetworkError(`cannot reach ${url.host}: ${err.message}`))
          }
        })
        if (body !== null) req.write(body)
        req.end()
      })
    },
    close() {
      agent.destroy()
    },
  }
}

function codeOf(err: Error): string {
  const code: unknown = (err as Error & { code?: unknown }).code
  return typeof code === 'string' ? code : ''
}
