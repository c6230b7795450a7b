import * as z from 'zod'

/** Rules for the admin account, shared by the API and the setup/login forms. */
export const MIN_PASSWORD_LENGTH = 12

export const Username = z
  .string()
  .trim()
  .min(3, 'must be at least 3 characters')
  .max(64, 'must be at most 64 characters')
  .regex(/^[a-zA-Z0-9._@-]+$/, 'may contain letters, digits, dot, dash, underscore and @ only')
  .transform((s) => s.toLowerCase())

export const Password = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(1024, 'must be at most 1024 characters')

/** Upper-case letters and digits without look-alikes (no 0/O, 1/I): read off a log, typed by hand. */
const SETUP_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'

/** The length of a generated setup code, in random bytes and in characters (5 bits each). */
export const SETUP_CODE_BYTES = 20

/**
 * A one-time setup code from SETUP_CODE_BYTES random bytes: 100 bits in groups of five,
 * `K7QXM-2HDPA-…`. The caller brings the randomness (WebCrypto's `getRandomValues`).
 */
export function setupCodeFromBytes(bytes: Uint8Array): string {
  // 32 symbols: a byte modulo 32 is uniform.
  const chars = Array.from(bytes.slice(0, SETUP_CODE_BYTES), (b) => SETUP_CODE_ALPHABET[b % 32])
  return [0, 5, 10, 15].map((i) => chars.slice(i, i + 5).join('')).join('-')
}

/**
 * How setup codes are compared: dashes and spaces are for reading only and case does not matter,
 * so `abcde-fghjk` and `ABCDEFGHJK` are the same code.
 */
export function normalizeSetupCode(code: string): string {
  return code.replace(/[\s-]+/g, '').toUpperCase()
}

export const SetupBody = z.object({
  /** The one-time setup code printed at start (npm start, npm run demo, the worker's log). */
  setupCode: z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be text') })
    .trim()
    .min(1, 'is required')
    .max(256, 'must be at most 256 characters'),
  username: Username,
  password: Password,
})
export type SetupBody = z.infer<typeof SetupBody>

/** Login accepts any password shape: a wrong one is just wrong, not "invalid". */
export const LoginBody = z.object({
  username: z
    .string()
    .trim()
    .min(1, 'is required')
    .max(64)
    .transform((s) => s.toLowerCase()),
  password: z.string().min(1, 'is required').max(1024),
})
export type LoginBody = z.infer<typeof LoginBody>
