// Creates .dev.vars with a random APP_ENC_KEY for local development if it does not exist yet.
// Production uses `wrangler secret put APP_ENC_KEY` instead; this file is git-ignored.
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'

const path = new URL('../.dev.vars', import.meta.url)
const current = existsSync(path) ? readFileSync(path, 'utf8') : ''
if (!/^APP_ENC_KEY=.{32,}$/m.test(current)) {
  const line = `APP_ENC_KEY=${randomBytes(48).toString('base64')}\n`
  writeFileSync(path, current.replace(/^APP_ENC_KEY=.*\n?/m, '') + line, { mode: 0o600 })
  console.log('Created a random local APP_ENC_KEY in .dev.vars')
}
