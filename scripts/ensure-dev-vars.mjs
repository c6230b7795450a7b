// Creates .dev.vars for local development if it lacks them: a random APP_ENC_KEY (encrypts the
// stored secrets) and a random SETUP_CODE (the one-time code the first-run wizard asks for;
// `npm start` prints it). Production uses `wrangler secret put` instead; this file is git-ignored.
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'

const path = new URL('../.dev.vars', import.meta.url)
let current = existsSync(path) ? readFileSync(path, 'utf8') : ''
const before = current

/** The worker's setup-code format (worker/settings/setup-code.ts): 4 groups of 5, no look-alikes. */
function newSetupCode() {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'
  const chars = Array.from(randomBytes(20), (b) => alphabet[b % 32])
  return [0, 5, 10, 15].map((i) => chars.slice(i, i + 5).join('')).join('-')
}

function ensure(name, valid, make, note) {
  if (new RegExp(`^${name}=${valid}$`, 'm').test(current)) return
  const rest = current.replace(new RegExp(`^${name}=.*\\n?`, 'm'), '')
  current = `${rest}${rest === '' || rest.endsWith('\n') ? '' : '\n'}${name}=${make()}\n`
  console.log(note)
}

ensure(
  'APP_ENC_KEY',
  '.{32,}',
  () => randomBytes(48).toString('base64'),
  'Created a random local APP_ENC_KEY in .dev.vars',
)
ensure(
  'SETUP_CODE',
  '[A-Z0-9-]{16,}',
  newSetupCode,
  'Created a random local SETUP_CODE in .dev.vars',
)
if (current !== before) writeFileSync(path, current, { mode: 0o600 })
