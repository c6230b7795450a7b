/**
 * Password hashing, tokens and secret encryption, all on WebCrypto (available in workerd and
 * Node alike).
 */

/** Workers refuse PBKDF2 above 100,000 iterations ("Pbkdf2 failed: iteration counts above 100000 are not supported"). */
export const PBKDF2_ITERATIONS = 100_000
const SALT_BYTES = 16
const HASH_BITS = 256

const encoder = new TextEncoder()

export function toBase64(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s)
}

export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const s = atob(text)
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}

function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** A random URL-safe token with `bytes` of entropy. */
export function randomToken(bytes = 32): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)))
}

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'

/**
 * A random code of letters and digits only (no look-alikes such as 0/O, 1/l): safe to paste as a
 * command-line argument. A base64url token can start with `-`, which the runner's CLI would read
 * as an option.
 */
export function randomCode(length = 24): string {
  const out: string[] = []
  // Rejection sampling keeps every character equally likely.
  const limit = 256 - (256 % CODE_ALPHABET.length)
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (byte < limit && out.length < length)
        out.push(CODE_ALPHABET[byte % CODE_ALPHABET.length] ?? '')
    }
  }
  return out.join('')
}

/** SHA-256 of a string, lower-case hex. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)))
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** Compare two byte strings without leaking where they differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0)
  return diff === 0
}

async function pbkdf2(password: string, salt: Uint8Array<ArrayBuffer>, iterations: number) {
  const key = await crypto.subtle.importKey('raw', encoder.encode(password), 'PBKDF2', false, [
    'deriveBits',
  ])
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    key,
    HASH_BITS,
  )
  return new Uint8Array(bits)
}

/** `pbkdf2-sha256$<iterations>$<salt>$<hash>` with a fresh per-user salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES))
  const hash = await pbkdf2(password, salt, PBKDF2_ITERATIONS)
  return `pbkdf2-sha256$${PBKDF2_ITERATIONS}$${toBase64(salt)}$${toBase64(hash)}`
}

/** Check a password against a stored hash in constant time. Malformed hashes never match. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, iterText, saltText, hashText] = stored.split('$')
  const iterations = Number(iterText)
  if (scheme !== 'pbkdf2-sha256' || !saltText || !hashText || !Number.isInteger(iterations)) {
    return false
  }
  if (iterations < 1 || iterations > PBKDF2_ITERATIONS) return false
  const actual = await pbkdf2(password, fromBase64(saltText), iterations)
  return constantTimeEqual(actual, fromBase64(hashText))
}

/**
 * A hash of a random password, computed once per isolate, so that a login for an unknown user
 * costs the same PBKDF2 work as a real one (no user enumeration by timing).
 */
let dummyHash: Promise<string> | undefined
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomToken(16))
  return dummyHash
}

/**
 * What each sealed secret is bound to (AES-GCM additional data): a ciphertext moved to another
 * place does not decrypt.
 */
export const SECRET_CONTEXTS = {
  proxmoxTokenSecret: 'settings/proxmox/tokenSecret',
  gameSecrets: 'deployments/gameSecrets',
} as const

/** The shortest APP_ENC_KEY accepted. */
export const MIN_ENC_KEY_LENGTH = 32

/**
 * AES-256-GCM key derived with HKDF from APP_ENC_KEY, so any long random string works as the
 * secret and rotating the string rotates the key.
 */
const aesKeys = new Map<string, Promise<CryptoKey>>()

async function aesKey(secret: string): Promise<CryptoKey> {
  // Derived once per isolate and secret: HKDF on every request would sit on the hot path of
  // every job assignment.
  let key = aesKeys.get(secret)
  if (!key) {
    key = deriveAesKey(secret)
    aesKeys.set(secret, key)
  }
  return key
}

async function deriveAesKey(secret: string): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', encoder.encode(secret), 'HKDF', false, [
    'deriveKey',
  ])
  return crypto.subtle.deriveKey(
    {
      name: 'HKDF',
      hash: 'SHA-256',
      salt: encoder.encode('proxmox-game-deployer/settings'),
      info: encoder.encode('aes-256-gcm v1'),
    },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  )
}

/**
 * The keys that seal and open stored secrets: APP_ENC_KEY seals (and opens), and while a key is
 * being rotated APP_ENC_KEY_PREVIOUS still opens what the old key sealed.
 */
export interface EncKeys {
  current: string
  previous: string | null
}

const keyIds = new Map<string, Promise<string>>()

/**
 * A key's public name, written into what it seals so the right key is picked when two are in
 * use: 8 bytes of HKDF over the secret (another `info` than the AES key's), in hex. It tells
 * nothing about the key beyond "same or not".
 */
export function keyId(secret: string): Promise<string> {
  let id = keyIds.get(secret)
  if (!id) {
    id = (async () => {
      const material = await crypto.subtle.importKey('raw', encoder.encode(secret), 'HKDF', false, [
        'deriveBits',
      ])
      const bits = await crypto.subtle.deriveBits(
        {
          name: 'HKDF',
          hash: 'SHA-256',
          salt: encoder.encode('proxmox-game-deployer/settings'),
          info: encoder.encode('key id v2'),
        },
        material,
        64,
      )
      return Array.from(new Uint8Array(bits), (b) => b.toString(16).padStart(2, '0')).join('')
    })()
    keyIds.set(secret, id)
  }
  return id
}

/**
 * AES-GCM additional data of format v2: the context (which field), the key id, and the subject
 * (whose secret: a deployment id, or where a token may be sent). The subject is last, so no
 * value of it can be read as another context or key.
 */
function additionalData(context: string, kid: string, subject: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(encoder.encode(`pgd-seal-v2\n${context}\n${kid}\n${subject}`))
}

async function open(secret: string, ivText: string, ctText: string, ad: Uint8Array<ArrayBuffer>) {
  const pt = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: fromBase64(ivText), additionalData: ad },
    await aesKey(secret),
    fromBase64(ctText),
  )
  return new TextDecoder().decode(pt)
}

function ring(keys: EncKeys | string): string[] {
  if (typeof keys === 'string') return [keys]
  return keys.previous ? [keys.current, keys.previous] : [keys.current]
}

/**
 * Seal a secret as `v2.<key id>.<iv>.<ciphertext>` with the current key. The context (which
 * field) and the subject (whose: a deployment id, a token's destination) are bound as additional
 * data: a ciphertext copied to another field or another deployment does not open.
 */
export async function encryptSecret(
  keys: EncKeys | string,
  plaintext: string,
  context: string,
  subject = '',
): Promise<string> {
  const secret = ring(keys)[0] ?? ''
  const kid = await keyId(secret)
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const ct = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: additionalData(context, kid, subject) },
    await aesKey(secret),
    encoder.encode(plaintext),
  )
  return `v2.${kid}.${toBase64(iv)}.${toBase64(new Uint8Array(ct))}`
}

/**
 * Open what `encryptSecret` sealed, with whichever of `keys` its key id names; throws on an
 * unknown key, a wrong context or subject, or tampering. Also opens format v1 (before key ids:
 * `v1.<iv>.<ciphertext>`, bound to its context only), trying each key: old rows stay readable
 * until they are sealed again (lib/reseal.ts).
 */
export async function decryptSecret(
  keys: EncKeys | string,
  sealed: string,
  context: string,
  subject = '',
): Promise<string> {
  const parts = sealed.split('.')
  const [version] = parts
  if (version === 'v2' && parts.length === 4) {
    const [, kid = '', ivText = '', ctText = ''] = parts
    for (const secret of ring(keys)) {
      if ((await keyId(secret)) === kid)
        return open(secret, ivText, ctText, additionalData(context, kid, subject))
    }
    throw new Error(`sealed with key ${kid}, which is neither APP_ENC_KEY nor APP_ENC_KEY_PREVIOUS`)
  }
  if (version === 'v1' && parts.length === 3) {
    const [, ivText = '', ctText = ''] = parts
    let failure: unknown = new Error('no key to try')
    for (const secret of ring(keys)) {
      try {
        return await open(secret, ivText, ctText, new Uint8Array(encoder.encode(context)))
      } catch (err) {
        failure = err
      }
    }
    throw failure
  }
  throw new Error('unknown secret format')
}

/** Which key sealed a value: its key id, `legacy` for format v1 (no id), or null if unknown. */
export function sealedWith(sealed: string): string | null {
  const parts = sealed.split('.')
  if (parts[0] === 'v2' && parts.length === 4) return parts[1] ?? null
  if (parts[0] === 'v1' && parts.length === 3) return 'legacy'
  return null
}
