/**
 * Sealed secrets: AES-256-GCM under a key derived from APP_ENC_KEY, bound to what they are and
 * whose they are, on WebCrypto (available in workerd and Node alike).
 */
import { fromBase64, toBase64 } from './tokens'

const encoder = new TextEncoder()

/**
 * What each sealed secret is bound to (AES-GCM additional data): a ciphertext moved to another
 * place does not decrypt.
 */
export const SECRET_CONTEXTS = {
  proxmoxTokenSecret: 'settings/proxmox/tokenSecret',
  gameSecrets: 'deployments/gameSecrets',
  alertWebhookUrl: 'alerts/channel/url',
  alertSigningSecret: 'alerts/channel/signingSecret',
  totpSecret: 'users/totp/secret',
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
 * until they are sealed again (settings/encryption.ts).
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
