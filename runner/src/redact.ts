/**
 * Secret redaction for every line that leaves the runner (job logs, step errors, test results and
 * the runner's own stdout). Known secrets are replaced wherever they appear, in the encodings a
 * tool is likely to print them in; patterns catch credentials the runner was never told about.
 */

import type { JobAssignment } from '../../core/protocol'

export const REDACTED = '[REDACTED]'

/** Every secret a job carries: the Proxmox token secret, `secrets` and the game's secrets. */
export function secretsOfJob(job: JobAssignment): string[] {
  return [job.proxmox.tokenSecret, ...job.secrets, ...Object.values(job.gameSecrets)]
}

/** Credentials that look like credentials, even when the runner does not know the value. */
const PATTERNS: readonly { re: RegExp; keep: string }[] = [
  // Proxmox token header: PVEAPIToken=user@realm!name=<uuid>
  { re: /(PVEAPIToken[= ]\S+?!\S+?=)[^\s'",;]+/gi, keep: '$1' },
  // Authorization: Bearer <key> / Basic <b64>
  { re: /(\b(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]{8,}/g, keep: '$1' },
  // password=..., rcon_password: ..., token_secret=..., secret=... (env, CLI flags, properties)
  {
    re: /(\b[\w.-]*(?:password|passwd|secret|token_?secret|api_?key)\b["']?\s*[=:]\s*["']?)(?!\[REDACTED\])[^\s"',;&]+/gi,
    keep: '$1',
  },
]

/**
 * Matches every text any of PATTERNS can match (and more): most lines match none, and one scan
 * for the words is cheaper than three replace() scans per line.
 */
const MAY_HAVE_CREDENTIAL = /pveapitoken|bearer|basic|passw|secret|api_?key/i

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** The forms a secret takes in tool output: raw, JSON-escaped, URL-encoded. */
function variants(secret: string): string[] {
  const out = new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)])
  return [...out].filter((s) => s.length > 0)
}

/** Replaces known secrets and credential patterns with `[REDACTED]`. Immutable: add() returns a new one. */
export class Redactor {
  private readonly known: RegExp | null

  constructor(private readonly secrets: readonly string[] = []) {
    const all = [...new Set(secrets.filter((s) => s.length > 0).flatMap(variants))]
    // Longest first, so a secret that contains another is replaced whole.
    all.sort((a, b) => b.length - a.length)
    this.known = all.length > 0 ? new RegExp(all.map(escapeRegExp).join('|'), 'g') : null
  }

  /** A redactor that also knows these secrets. */
  with(more: readonly string[]): Redactor {
    return new Redactor([...this.secrets, ...more])
  }

  /** The text with every known secret and credential pattern replaced. */
  redact(text: string): string {
    let out = this.known ? text.replace(this.known, REDACTED) : text
    if (!MAY_HAVE_CREDENTIAL.test(out)) return out
    for (const { re, keep } of PATTERNS) out = out.replace(re, `${keep}${REDACTED}`)
    return out
  }
}
