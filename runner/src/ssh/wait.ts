import net from 'node:net'
import { sleep } from '../proxmox/wait'

/**
 * Wait for a new VM's SSH server: TCP connect to its fixed IP, then read the `SSH-2.0-` banner.
 * Two stages with their own deadlines and messages, so the user learns whether the VM never came
 * up on the network or came up without a working sshd. Connects only to the address given (an
 * IPv4 literal: no DNS, no other host).
 */

export interface SshWaitTimeouts {
  /** Until the port accepts a TCP connection ("VM has not booted"). */
  bootMs: number
  /** From the first accepted connection until a banner is read ("port open but no SSH banner"). */
  bannerMs: number
  /** One connect attempt. */
  connectMs: number
  /** Waiting for the banner on one connection. */
  readMs: number
  /** Pause between attempts (grows to 4× this). */
  retryMs: number
}

export const DEFAULT_SSH_TIMEOUTS: SshWaitTimeouts = {
  bootMs: 5 * 60_000,
  bannerMs: 2 * 60_000,
  connectMs: 3_000,
  readMs: 10_000,
  retryMs: 1_000,
}

/** The first pause after a failed probe; it doubles from there. */
const FIRST_PROBE_GAP_MS = 25

export class SshWaitError extends Error {
  override readonly name = 'SshWaitError'
  constructor(
    readonly stage: 'boot' | 'banner',
    message: string,
  ) {
    super(message)
  }
}

export interface SshWaitOptions {
  log: (line: string) => void
  signal?: AbortSignal
  timeouts?: Partial<SshWaitTimeouts>
}

type Attempt =
  | { kind: 'banner'; banner: string }
  | { kind: 'refused' | 'unreachable'; detail: string }
  | { kind: 'silent' }
  | { kind: 'not-ssh'; got: string }

/** Resolve with the server's banner (e.g. `SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3`). */
export async function waitSsh(ip: string, port: number, opts: SshWaitOptions): Promise<string> {
  if (net.isIPv4(ip) === false) throw new Error(`SSH wait needs an IPv4 address, got '${ip}'`)
  const t = { ...DEFAULT_SSH_TIMEOUTS, ...opts.timeouts }
  const target = `${ip}:${port}`
  opts.log(`waiting for SSH on ${target}`)
  const bootDeadline = Date.now() + t.bootMs
  let bannerDeadline: number | null = null
  for (let attempt = 0; ; attempt++) {
    opts.signal?.throwIfAborted()
    const last = await tryOnce(ip, port, t, opts.signal)
    if (last.kind === 'banner') {
      opts.log(`SSH is up on ${target}: ${last.banner}`)
      return last.banner
    }
    if (last.kind === 'not-ssh') {
      throw new SshWaitError(
        'banner',
        `port ${port} on ${ip} answers but is not SSH (got ${JSON.stringify(last.got)}): is another service on this address?`,
      )
    }
    if (last.kind === 'silent' && bannerDeadline === null) {
      bannerDeadline = Date.now() + t.bannerMs
      opts.log(`port ${port} on ${ip} is open; waiting for the SSH banner`)
    }
    const now = Date.now()
    if (bannerDeadline !== null && now > bannerDeadline) {
      throw new SshWaitError(
        'banner',
        `port open but no SSH banner: ${target} accepted connections for ${Math.round(t.bannerMs / 1000)} s without sending "SSH-2.0-…" (is sshd starting, or is something else listening?)`,
      )
    }
    if (bannerDeadline === null && now > bootDeadline) {
      const why =
        last.kind === 'refused'
          ? 'the address answers but the port is closed'
          : `no answer (${last.kind === 'unreachable' ? last.detail : 'timeout'})`
      throw new SshWaitError(
        'boot',
        `VM has not booted: ${target} not reachable after ${Math.round(t.bootMs / 1000)} s, ${why}. Check the VM console in Proxmox, the bridge/VLAN and the cloud-init network (ipconfig0)`,
      )
    }
    if (attempt % 10 === 9) opts.log(`still waiting for SSH on ${target} (${describe(last)})`)
    // Quick first probes (a VM that is already up answers at once), then back off to 4× retryMs.
    // Soon at first (a VM that is nearly up costs a few refused connects, not a quarter second),
    // doubling to 4× the retry interval while a VM boots for a minute.
    const first = Math.min(FIRST_PROBE_GAP_MS, t.retryMs / 4)
    await sleep(Math.min(first * 2 ** Math.min(attempt, 16), t.retryMs * 4), opts.signal)
  }
}

function describe(a: Attempt): string {
  switch (a.kind) {
    case 'refused':
      return 'connection refused'
    case 'unreachable':
      return a.detail
    case 'silent':
      return 'port open, no banner yet'
    case 'not-ssh':
      return 'not SSH'
    case 'banner':
      return 'up'
  }
}

/** One connect + banner read. Never throws; the socket is always destroyed. */
function tryOnce(
  ip: string,
  port: number,
  t: SshWaitTimeouts,
  signal?: AbortSignal,
): Promise<Attempt> {
  return new Promise<Attempt>((resolve) => {
    const socket = net.connect({ host: ip, port, family: 4 })
    let buf = ''
    let connected = false
    const done = (a: Attempt): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      socket.destroy()
      resolve(a)
    }
    const onAbort = (): void => done({ kind: 'unreachable', detail: 'cancelled' })
    signal?.addEventListener('abort', onAbort, { once: true })
    let timer = setTimeout(
      () => done({ kind: 'unreachable', detail: 'connect timeout' }),
      t.connectMs,
    )
    socket.once('connect', () => {
      connected = true
      clearTimeout(timer)
      timer = setTimeout(() => done({ kind: 'silent' }), t.readMs)
    })
    socket.on('data', (chunk: Buffer) => {
      buf += chunk.toString('latin1')
      // RFC 4253 §4.2: the server may send other lines before the version line.
      const lines = buf.split('\n')
      for (const line of lines.slice(0, -1)) {
        if (line.startsWith('SSH-2.0-') || line.startsWith('SSH-1.99-')) {
          done({ kind: 'banner', banner: line.replace(/\r$/, '') })
          return
        }
      }
      if (buf.length > 1024 || (lines.length > 1 && !buf.includes('SSH-') && buf.length > 255)) {
        done({ kind: 'not-ssh', got: buf.slice(0, 80) })
      }
    })
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') done({ kind: 'refused', detail: 'connection refused' })
      else done({ kind: 'unreachable', detail: err.code ?? err.message })
    })
    socket.on('close', () => {
      if (!connected) return
      // A banner without its CRLF before the close still identifies an SSH server.
      if (/^SSH-(2\.0|1\.99)-/.test(buf)) done({ kind: 'banner', banner: buf.trim() })
      else done(buf ? { kind: 'not-ssh', got: buf.slice(0, 80) } : { kind: 'silent' })
    })
  })
}
