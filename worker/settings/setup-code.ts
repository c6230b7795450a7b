import { normalizeSetupCode, SETUP_CODE_BYTES, setupCodeFromBytes } from '../../core/auth'
import { constantTimeEqual, sha256Hex } from '../crypto/tokens'
import { deleteSetting, insertSettingOnce, readSetting } from '../db/settings'
import { ApiError } from '../http/errors'

/**
 * The one-time setup code: whoever creates the first admin account must know it, so a freshly
 * deployed dashboard does not belong to its first visitor. It comes from the `SETUP_CODE` secret
 * (`npm start` and `npm run demo` set one and print it; on Cloudflare, `wrangler secret put
 * SETUP_CODE`), or, when none is set, the worker makes one, writes it once to its log and keeps
 * only its hash in D1 until setup is done. Once an admin exists it is worth nothing.
 */

/** Where the expected code comes from: the wizard tells the admin where to look. */
export type SetupCodeSource = 'secret' | 'generated'

/** The shortest SETUP_CODE secret accepted (letters and digits, dashes and spaces not counted). */
export const MIN_SETUP_CODE_LENGTH = 16
/** The settings row holding the generated code's hash. */
const GENERATED_KEY = 'setup_code'

/** The SETUP_CODE secret, normalised; null when none is set; a clear 503 when it is too short. */
function configuredCode(env: Env): string | null {
  const raw = (env as { SETUP_CODE?: unknown }).SETUP_CODE
  if (typeof raw !== 'string' || raw.trim() === '') return null
  const code = normalizeSetupCode(raw)
  if (code.length < MIN_SETUP_CODE_LENGTH) {
    throw new ApiError(
      503,
      'server_misconfigured',
      `The server's SETUP_CODE secret is too short: set at least ${MIN_SETUP_CODE_LENGTH} random letters and digits ` +
        'with `wrangler secret put SETUP_CODE` (for example the output of `openssl rand -hex 12`).',
    )
  }
  return code
}

/**
 * Make sure a code exists while setup is needed, and say where it comes from. Without a
 * SETUP_CODE secret the first call generates one, logs it once (Workers Logs / `wrangler tail`)
 * and keeps its hash; the insert decides, so two first visits cannot log two different codes.
 */
export async function ensureSetupCode(env: Env): Promise<SetupCodeSource> {
  if (configuredCode(env) !== null) return 'secret'
  const code = setupCodeFromBytes(crypto.getRandomValues(new Uint8Array(SETUP_CODE_BYTES)))
  const inserted = await insertSettingOnce(
    env.DB,
    GENERATED_KEY,
    JSON.stringify({ hash: await sha256Hex(normalizeSetupCode(code)) }),
    'system',
  )
  if (inserted) {
    // The one place this code is ever shown: the dashboard's wizard asks for it.
    console.log(
      JSON.stringify({
        level: 'info',
        setupCode: code,
        message: `First-run setup code: ${code} (the dashboard asks for it to create the admin account; useless once setup is done)`,
      }),
    )
  }
  return 'generated'
}

/**
 * Whether `given` is this dashboard's setup code, compared on SHA-256 digests in constant time.
 * Creates the generated code if there is none yet (then `given` cannot match it).
 */
export async function setupCodeMatches(env: Env, given: string): Promise<boolean> {
  const configured = configuredCode(env)
  let expectedHash: string | null = configured === null ? null : await sha256Hex(configured)
  if (expectedHash === null) {
    await ensureSetupCode(env)
    const valueJson = await readSetting(env.DB, GENERATED_KEY)
    const stored: unknown = valueJson === null ? null : JSON.parse(valueJson)
    expectedHash =
      stored && typeof stored === 'object' && 'hash' in stored && typeof stored.hash === 'string'
        ? stored.hash
        : null
  }
  if (expectedHash === null) return false
  const encoder = new TextEncoder()
  return constantTimeEqual(
    encoder.encode(await sha256Hex(normalizeSetupCode(given))),
    encoder.encode(expectedHash),
  )
}

/** Drop the generated code once setup is done. */
export async function forgetSetupCode(env: Env): Promise<void> {
  await deleteSetting(env.DB, GENERATED_KEY)
}
