import {
  createHash,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto'
import type net from 'node:net'
import { openSshPrivateKey } from '../../runner/src/ssh/key'

/**
 * The simulated guests' sshd, as far as a client gets before encryption starts (RFC 4253): the
 * version exchange, the key exchange offer (KEXINIT) and one curve25519-sha256 key exchange
 * (RFC 8731) answered with the VM's ed25519 host key and a real signature of the exchange hash.
 * That is all `ssh-keyscan` reads, so the runner pins and checks a simulated VM's host key the
 * way it does a real one's; a client that offers nothing in common is told so
 * (SSH_MSG_DISCONNECT) as OpenSSH would. The connection ends after the key exchange: nothing
 * can log in.
 */

const MSG_DISCONNECT = 1
const MSG_KEXINIT = 20
const MSG_NEWKEYS = 21
const MSG_KEX_ECDH_INIT = 30
const MSG_KEX_ECDH_REPLY = 31
/** RFC 4253 §11.1. */
const KEY_EXCHANGE_FAILED = 3

const KEX = ['curve25519-sha256', 'curve25519-sha256@libssh.org']
const HOST_KEY_ALGORITHM = 'ssh-ed25519'
/** What OpenSSH offers; never used, since the connection ends before NEWKEYS takes effect. */
const CIPHERS = 'chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com'
const MACS = 'hmac-sha2-256-etm@openssh.com,hmac-sha2-256'

/** A VM's SSH host key. */
export interface SshHostKey {
  privateKey: KeyObject
  /** The public key as in `known_hosts` / `ssh-keyscan`: `ssh-ed25519 AAAA…`. */
  line: string
  /** The public key blob (RFC 4253 §6.6), what fingerprints hash. */
  blob: Buffer
  /** The private key as `ssh-keygen` writes it (openssh-key-v1), for the full sshd. */
  openssh: string
}

/** A fresh ed25519 host key, as `ssh-keygen -A` makes at a VM's first boot. */
export function newHostKey(): SshHostKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)
  const blob = Buffer.concat([sshString(HOST_KEY_ALGORITHM), sshString(raw)])
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url')
  return {
    privateKey,
    blob,
    line: `${HOST_KEY_ALGORITHM} ${blob.toString('base64')}`,
    openssh: openSshPrivateKey(seed, raw, 'sim-host-key'),
  }
}

/** `SHA256:…` as `ssh-keygen -lf` prints it. */
export function fingerprintOf(key: SshHostKey): string {
  return `SHA256:${createHash('sha256').update(key.blob).digest('base64').replace(/=+$/, '')}`
}

function sshString(data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  const length = Buffer.alloc(4)
  length.writeUInt32BE(body.length)
  return Buffer.concat([length, body])
}

function nameList(names: string[] | string): Buffer {
  return sshString(Array.isArray(names) ? names.join(',') : names)
}

/** RFC 4251 §5 mpint of a non-negative big-endian integer. */
function mpint(bytes: Buffer): Buffer {
  let start = 0
  while (start < bytes.length && bytes[start] === 0) start++
  const trimmed = bytes.subarray(start)
  const body =
    trimmed.length > 0 && ((trimmed[0] as number) & 0x80) !== 0
      ? Buffer.concat([Buffer.from([0]), trimmed])
      : trimmed
  return sshString(body)
}

/** One unencrypted binary packet (RFC 4253 §6): block size 8, at least 4 bytes of padding. */
function packet(payload: Buffer): Buffer {
  let padding = 8 - ((5 + payload.length) % 8)
  if (padding < 4) padding += 8
  const head = Buffer.alloc(5)
  head.writeUInt32BE(1 + payload.length + padding)
  head[4] = padding
  return Buffer.concat([head, payload, randomBytes(padding)])
}

/** Reads `string`s and name-lists from a payload. */
class Reader {
  private at: number
  constructor(
    private readonly buf: Buffer,
    at = 0,
  ) {
    this.at = at
  }
  string(): Buffer {
    if (this.at + 4 > this.buf.length) throw new Error('packet cut short')
    const length = this.buf.readUInt32BE(this.at)
    const end = this.at + 4 + length
    if (end > this.buf.length) throw new Error('packet cut short')
    const out = this.buf.subarray(this.at + 4, end)
    this.at = end
    return out
  }
  names(): string[] {
    return this.string().toString('latin1').split(',')
  }
}

/**
 * Serve one TCP connection as the VM's sshd: send `banner`, then answer the key exchange with
 * `hostKey`. Ends the connection after the exchange, on anything unexpected, and after 10 s.
 */
export function serveSsh(socket: net.Socket, banner: string, hostKey: SshHostKey): void {
  const serverKexInit = Buffer.concat([
    Buffer.from([MSG_KEXINIT]),
    randomBytes(16),
    nameList(KEX),
    nameList(HOST_KEY_ALGORITHM),
    nameList(CIPHERS),
    nameList(CIPHERS),
    nameList(MACS),
    nameList(MACS),
    nameList('none'),
    nameList('none'),
    nameList(''),
    nameList(''),
    Buffer.from([0, 0, 0, 0, 0]),
  ])
  let buf = Buffer.alloc(0)
  let clientVersion: string | null = null
  let clientKexInit: Buffer | null = null
  const timer = setTimeout(() => socket.destroy(), 10_000)
  socket.on('close', () => clearTimeout(timer))
  const disconnect = (why: string) => {
    const payload = Buffer.concat([
      Buffer.from([MSG_DISCONNECT]),
      Buffer.from([0, 0, 0, KEY_EXCHANGE_FAILED]),
      sshString(why),
      sshString(''),
    ])
    socket.end(packet(payload))
  }
  socket.write(`${banner}\r\n`)
  socket.write(packet(serverKexInit))
  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk])
    if (buf.length > 64 * 1024) return socket.destroy()
    try {
      if (clientVersion === null) {
        const end = buf.indexOf('\n')
        if (end < 0) return
        clientVersion = buf.subarray(0, end).toString('latin1').replace(/\r$/, '')
        buf = buf.subarray(end + 1)
        if (!clientVersion.startsWith('SSH-2.0-')) return socket.destroy()
      }
      for (;;) {
        if (buf.length < 5) return
        const length = buf.readUInt32BE(0)
        if (length > 35_000) return socket.destroy()
        if (buf.length < 4 + length) return
        const padding = buf[4] as number
        const payload = buf.subarray(5, 4 + length - padding)
        buf = buf.subarray(4 + length)
        const type = payload[0]
        if (type === MSG_KEXINIT && clientKexInit === null) {
          clientKexInit = Buffer.from(payload)
          const lists = new Reader(payload, 17)
          const kex = lists.names()
          const hostKeys = lists.names()
          if (!kex.some((k) => KEX.includes(k)))
            return disconnect('no matching key exchange method')
          if (!hostKeys.includes(HOST_KEY_ALGORITHM))
            return disconnect('no matching host key type found')
        } else if (type === MSG_KEX_ECDH_INIT && clientKexInit !== null) {
          const clientPublic = new Reader(payload, 1).string()
          if (clientPublic.length !== 32) return socket.destroy()
          socket.write(packet(ecdhReply(clientPublic)))
          socket.end(packet(Buffer.from([MSG_NEWKEYS])))
          return
        } else {
          return socket.destroy()
        }
      }
    } catch {
      socket.destroy()
    }
  })

  /** SSH_MSG_KEX_ECDH_REPLY: the host key, our ephemeral key, the signed exchange hash. */
  function ecdhReply(clientPublic: Buffer): Buffer {
    const ours = generateKeyPairSync('x25519')
    const theirs = createPublicKey({
      key: Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), clientPublic]),
      format: 'der',
      type: 'spki',
    })
    const shared = diffieHellman({ privateKey: ours.privateKey, publicKey: theirs })
    const serverPublic = ours.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)
    const exchangeHash = createHash('sha256')
      .update(
        Buffer.concat([
          sshString(clientVersion ?? ''),
          sshString(banner),
          sshString(clientKexInit ?? Buffer.alloc(0)),
          sshString(serverKexInit),
          sshString(hostKey.blob),
          sshString(clientPublic),
          sshString(serverPublic),
          mpint(shared),
        ]),
      )
      .digest()
    const signature = Buffer.concat([
      sshString(HOST_KEY_ALGORITHM),
      sshString(sign(null, exchangeHash, hostKey.privateKey)),
    ])
    return Buffer.concat([
      Buffer.from([MSG_KEX_ECDH_REPLY]),
      sshString(hostKey.blob),
      sshString(serverPublic),
      sshString(signature),
    ])
  }
}
