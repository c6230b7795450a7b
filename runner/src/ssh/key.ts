import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The runner's own SSH key pair, generated once and kept on the runner host. Its public key goes
 * into cloud-init `sshkeys` of every VM, so the runner can reach the VM for Ansible.
 * Generated with Node's crypto and written in OpenSSH's own formats, so no ssh-keygen is needed.
 */

export interface SshKeyPair {
  privateKeyPath: string
  publicKey: string
}

function sshString(data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data
  const len = Buffer.alloc(4)
  len.writeUInt32BE(body.length)
  return Buffer.concat([len, body])
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}

/**
 * An unencrypted `openssh-key-v1` private key, the format of `ssh-keygen -t ed25519`.
 * See https://github.com/openssh/openssh-portable/blob/master/PROTOCOL.key
 */
export function openSshPrivateKey(seed: Buffer, pub: Buffer, comment: string): string {
  const pubBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)])
  const check = randomBytes(4)
  let priv = Buffer.concat([
    check,
    check,
    sshString('ssh-ed25519'),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ])
  const pad = (8 - (priv.length % 8)) % 8
  priv = Buffer.concat([priv, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))])
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(pubBlob),
    sshString(priv),
  ]).toString('base64')
  const lines = body.match(/.{1,70}/g) ?? []
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`
}

/** Loads the runner's SSH key pair from `<stateDir>/ssh/`, generating it on first run. */
export function ensureSshKeyPair(stateDir: string, comment: string): SshKeyPair {
  const dir = join(stateDir, 'ssh')
  const privateKeyPath = join(dir, 'id_ed25519')
  const publicKeyPath = `${privateKeyPath}.pub`
  if (existsSync(privateKeyPath) && existsSync(publicKeyPath)) {
    return { privateKeyPath, publicKey: readFileSync(publicKeyPath, 'utf8').trim() }
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url')
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url')
  const safeComment = comment.replace(/[^\w.@-]/g, '_')
  const publicLine = `ssh-ed25519 ${Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]).toString('base64')} ${safeComment}`
  // Private key first, public last: the public file's presence marks a complete pair.
  writeFileSync(`${privateKeyPath}.tmp`, openSshPrivateKey(seed, pub, safeComment), { mode: 0o600 })
  chmodSync(`${privateKeyPath}.tmp`, 0o600)
  renameSync(`${privateKeyPath}.tmp`, privateKeyPath)
  writeFileSync(publicKeyPath, `${publicLine}\n`, { mode: 0o644 })
  return { privateKeyPath, publicKey: publicLine }
}
