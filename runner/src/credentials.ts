import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { z } from 'zod'

/** What `register` saves and `run` reads: the long-lived runner key and where to use it. */
export const Credentials = z.object({
  server: z.string().url(),
  runnerId: z.string().min(1),
  key: z.string().min(16),
})
export type Credentials = z.infer<typeof Credentials>

/** Writes the key file with mode 0600 (and its folder 0700), atomically. */
export function saveCredentials(path: string, creds: Credentials): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const tmp = `${path}.tmp`
  writeFileSync(tmp, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 })
  // The mode argument is masked by umask and ignored for an existing file: set it explicitly.
  chmodSync(tmp, 0o600)
  renameSync(tmp, path)
}

/** Reads the key file; the error says what to do when it is missing or broken. */
export function loadCredentials(
  path: string,
): { ok: true; creds: Credentials } | { ok: false; error: string } {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    return {
      ok: false,
      error: `no runner key at ${path}: run "pgd-runner register --server URL --code CODE" first`,
    }
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { ok: false, error: `${path} is not valid JSON: register again` }
  }
  const parsed = Credentials.safeParse(json)
  if (!parsed.success) return { ok: false, error: `${path} is incomplete: register again` }
  return { ok: true, creds: parsed.data }
}
