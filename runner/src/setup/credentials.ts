import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Credentials } from './config-schema'

export type { Credentials } from './config-schema'

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
  const creds = checkCredentials(json)
  if (!creds) return { ok: false, error: `${path} is incomplete: register again` }
  return { ok: true, creds }
}

/**
 * The key file's content if it has what `run` needs: the rules of the `Credentials` schema
 * (config-schema.ts), checked by hand so that starting a runner does not load zod; a test
 * holds the two together.
 */
export function checkCredentials(json: unknown): Credentials | null {
  if (typeof json !== 'object' || json === null) return null
  const { server, runnerId, key } = json as Record<string, unknown>
  if (typeof server !== 'string' || !URL.canParse(server.trim())) return null
  if (typeof runnerId !== 'string' || runnerId.length < 1) return null
  if (typeof key !== 'string' || key.length < 16) return null
  // z.string().url() hands back the URL trimmed, without tabs and newlines.
  return { server: server.trim().replace(/[\t\n\r]/g, ''), runnerId, key }
}
