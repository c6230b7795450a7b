import { MIN_ENC_KEY_LENGTH, type EncKeys } from './seal'
import { ApiError } from '../http/errors'

function tooShortOrMissing(name: string, key: unknown): ApiError {
  return new ApiError(
    503,
    'server_misconfigured',
    `The server's ${name} secret is ${typeof key === 'string' && key.length > 0 ? 'too short' : 'missing'}: ` +
      `set a random value of at least ${MIN_ENC_KEY_LENGTH} characters with \`wrangler secret put ${name}\` ` +
      '(for example the output of `openssl rand -base64 48`).',
  )
}

/**
 * APP_ENC_KEY, checked: a missing or short key is a clear error for the admin, never a silent
 * fallback to storing secrets in plain text.
 */
export function requireEncKey(env: Env): string {
  const key = (env as { APP_ENC_KEY?: unknown }).APP_ENC_KEY
  if (typeof key !== 'string' || key.length < MIN_ENC_KEY_LENGTH)
    throw tooShortOrMissing('APP_ENC_KEY', key)
  return key
}

/**
 * The keys for sealing and opening: APP_ENC_KEY, and APP_ENC_KEY_PREVIOUS while a rotation is
 * under way (it only opens; Settings → Encryption seals everything again with the new key).
 */
export function requireEncKeys(env: Env): EncKeys {
  const current = requireEncKey(env)
  const previous = (env as { APP_ENC_KEY_PREVIOUS?: unknown }).APP_ENC_KEY_PREVIOUS
  if (previous === undefined || previous === null || previous === '')
    return { current, previous: null }
  if (typeof previous !== 'string' || previous.length < MIN_ENC_KEY_LENGTH)
    throw tooShortOrMissing('APP_ENC_KEY_PREVIOUS', previous)
  return { current, previous }
}
