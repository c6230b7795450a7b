/**
 * Password hashing with PBKDF2-SHA256 on WebCrypto (available in workerd and Node alike).
 */
import { constantTimeEqual, fromBase64, randomToken, toBase64 } from './tokens'

/** Workers refuse PBKDF2 above 100,000 iterations ("Pbkdf2 failed: iteration counts above 100000 are not supported"). */
export const PBKDF2_ITERATIONS = 100_000
const SALT_BYTES = 16
const HASH_BITS = 256

const encoder = new TextEncoder()

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
