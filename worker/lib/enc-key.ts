import { MIN_ENC_KEY_LENGTH } from './crypto'
import { ApiError } from './errors'

/**
 * APP_ENC_KEY, checked: a missing or short key is a clear error for the admin, never a silent
 * fallback to storing secrets in plain text.
 */
export function requireEncKey(env: Env): string {
  const key = (env as { APP_ENC_KEY?: unknown }).APP_ENC_KEY
  if (typeof key !== 'string' || key.length < MIN_ENC_KEY_LENGTH) {
    throw new ApiError(
      503,
      'server_misconfigured',
      `The server's APP_ENC_KEY secret is ${typeof key === 'string' && key.length > 0 ? 'too short' : 'missing'}: ` +
        `set a random value of at least ${MIN_ENC_KEY_LENGTH} characters with \`wrangler secret put APP_ENC_KEY\` ` +
        '(for example the output of `openssl rand -base64 48`).',
    )
  }
  return key
}
