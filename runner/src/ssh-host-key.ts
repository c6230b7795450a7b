import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import net from 'node:net'

/**
 * The VM's SSH host key, pinned on first contact and checked on every later one. The deployment's
 * own boot window is the first contact: the wait_ssh step of its deploy reads the key with
 * OpenSSH's `ssh-keyscan` and reports it in its checkpoint, which the DeploymentDO keeps and
 * hands to every later job of the deployment (whichever runner takes it). From then on, a
 * different key fails the step before anything runs over SSH, and Ansible's ssh runs with that
 * key alone in its known_hosts and `StrictHostKeyChecking=yes` (runner/src/ansible/run-playbook.ts), so
 * OpenSSH itself refuses an impostor whatever happened in between.
 */

/** Key types read, best first: what OpenSSH makes at first boot (`ssh-keygen -A`). */
const KEY_TYPES = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
]

/** A host key as `known_hosts` holds it: `<type> <base64 blob>`, e.g. `ssh-ed25519 AAAA…`. */
export const HOST_KEY_PATTERN = /^[a-z0-9][a-z0-9@.-]{2,63} [A-Za-z0-9+/]{20,}={0,3}$/

/** `SHA256:…`, as `ssh-keygen -lf` and OpenSSH's warnings print it. */
export function fingerprint(hostKey: string): string {
  const blob = Buffer.from(hostKey.split(' ')[1] ?? '', 'base64')
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}

/** The key's type and fingerprint, for log lines. */
export function describeHostKey(hostKey: string): string {
  return `${fingerprint(hostKey)} (${hostKey.split(' ')[0]})`
}

export class HostKeyError extends Error {
  override readonly name = 'HostKeyError'
}

export interface ScanOptions {
  signal?: AbortSignal
  /** ssh-keyscan's own timeout per connection (`-T`), in seconds. */
  timeoutS?: number
  /** `ssh-keyscan` unless given (tests). */
  sshKeyscanBin?: string
}

/**
 * The host key `ip:port` presents, read with `ssh-keyscan` (which does the key exchange, so the
 * key is the one the server's sshd uses). The best type it offers: ed25519, then ECDSA, then RSA.
 * Rejects with what went wrong when no key could be read.
 */
export function scanHostKey(ip: string, port: number, options: ScanOptions = {}): Promise<string> {
  if (!net.isIPv4(ip)) return Promise.reject(new HostKeyError(`not an IPv4 address: '${ip}'`))
  const timeoutS = options.timeoutS ?? 10
  const args = ['-T', String(timeoutS), '-p', String(port), '-t', 'ed25519,ecdsa,rsa', ip]
  return new Promise((resolve, reject) => {
    const child = spawn(options.sshKeyscanBin ?? 'ssh-keyscan', args, {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < 64 * 1024) stdout += d
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 8 * 1024) stderr += d
    })
    // ssh-keyscan bounds each connection with -T; this bounds the whole run, in case.
    const timer = setTimeout(() => child.kill('SIGKILL'), (timeoutS * 3 + 5) * 1000)
    const onAbort = () => child.kill('SIGKILL')
    options.signal?.addEventListener('abort', onAbort, { once: true })
    child.on('error', (err) => {
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
      reject(
        new HostKeyError(`ssh-keyscan could not start: ${err.message} (install openssh-client)`),
      )
    })
    child.on('close', () => {
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
      if (options.signal?.aborted) return reject(options.signal.reason)
      const keys = stdout
        .split('\n')
        .filter((line) => line && !line.startsWith('#'))
        .map((line) => line.trim().split(/\s+/).slice(1, 3).join(' '))
        .filter((key) => HOST_KEY_PATTERN.test(key))
      const best = KEY_TYPES.map((type) => keys.find((k) => k.startsWith(`${type} `))).find(Boolean)
      if (best) return resolve(best)
      const why = stderr
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'))
        .slice(-1)[0]
      reject(
        new HostKeyError(
          `could not read the SSH host key of ${ip}:${port}${why ? `: ${why}` : ' (no key offered)'}`,
        ),
      )
    })
  })
}

/**
 * The key `ip:port` presents, checked against the deployment's pinned one. Returns the key to
 * pin when none was (first contact), or null when it matches. Throws "the VM's SSH host key
 * changed" when it differs: nothing may then run over SSH.
 */
export async function checkHostKey(
  ip: string,
  port: number,
  pinned: string | undefined,
  options: ScanOptions & { log: (line: string) => void },
): Promise<string | null> {
  const seen = await scanHostKey(ip, port, options)
  if (pinned === undefined) {
    options.log(`pinned the VM's SSH host key: ${describeHostKey(seen)}`)
    return seen
  }
  if (seen !== pinned) {
    throw new HostKeyError(
      `the VM's SSH host key changed: expected ${fingerprint(pinned)}, got ${fingerprint(seen)}. Nothing was run on it: someone may be impersonating the VM. If it was rebuilt on purpose, destroy the deployment and deploy it again`,
    )
  }
  options.log(`the VM's SSH host key is the pinned one: ${describeHostKey(seen)}`)
  return null
}

/**
 * A `known_hosts` line pinning `hostKey` under `alias`, for OpenSSH's `HostKeyAlias`: the alias
 * (not the address, which a VM of another deployment may get later) names the pinned VM.
 */
export function knownHostsLine(alias: string, hostKey: string): string {
  if (!HOST_KEY_PATTERN.test(hostKey)) throw new HostKeyError('not an SSH host key')
  return `${alias} ${hostKey}\n`
}
