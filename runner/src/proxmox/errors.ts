/**
 * Errors from the Proxmox API, classified the way the client needs to react to them.
 * See docs/proxmox-api.md#errors (error envelope) and #races-and-gotchas.
 */

/** An HTTP answer other than 200 from the PVE API. */
export class ProxmoxApiError extends Error {
  override readonly name = 'ProxmoxApiError'
  constructor(
    readonly method: string,
    readonly path: string,
    /** HTTP status, including PVE's pseudo-statuses 595-599 (docs/proxmox-api.md#proxy-errors). */
    readonly status: number,
    /** The reason phrase: the first line of PVE's message, present on every server version. */
    readonly reason: string,
    /** Per-parameter errors of a 400 `Parameter verification failed.` */
    readonly errors: Readonly<Record<string, string>> = {},
    /** The `message` body field (pve-http-server ≥ 5.2.0 only). */
    readonly bodyMessage: string | null = null,
  ) {
    super(describeApiError(status, reason, errors, bodyMessage))
  }
}

/** A task (UPID) that ended with an error `exitstatus`, though its HTTP call returned 200. */
export class ProxmoxTaskError extends Error {
  override readonly name = 'ProxmoxTaskError'
  constructor(
    readonly upid: string,
    readonly exitstatus: string,
    /** The last lines of the task log, for diagnostics. */
    readonly logTail: readonly string[] = [],
  ) {
    super(exitstatus)
  }
}

/** The server's certificate did not match the pinned fingerprint or CA. */
export class ProxmoxTlsError extends Error {
  override readonly name = 'ProxmoxTlsError'
}

/** Network-level failure (refused, reset, timeout) before an HTTP answer arrived. */
export class ProxmoxNetworkError extends Error {
  override readonly name = 'ProxmoxNetworkError'
}

function describeApiError(
  status: number,
  reason: string,
  errors: Readonly<Record<string, string>>,
  bodyMessage: string | null,
): string {
  if (status === 401) {
    return `Proxmox rejected the API token (401 ${reason || 'authentication failure'}): check the token id (user@realm!name) and its secret, and that the token has not expired or been removed`
  }
  // Read the reason phrase first, then `errors`, then `message` (older servers lack it):
  // docs/proxmox-api.md#errors.
  const first = (reason || bodyMessage || `HTTP ${status}`).trim()
  const details = Object.entries(errors).map(([k, v]) => `${k}: ${v.trim()}`)
  const extra = bodyMessage && bodyMessage.trim() !== first ? bodyMessage.trim() : ''
  const fullMessage = details.length > 0 ? `${first} (${details.join('; ')})` : extra || first
  return `Proxmox ${status}: ${fullMessage}`
}

/** The full text PVE gave for an error, for matching against known messages. */
export function errorText(err: unknown): string {
  if (err instanceof ProxmoxApiError) {
    return [err.reason, err.bodyMessage ?? '', ...Object.values(err.errors)].join('\n')
  }
  if (err instanceof ProxmoxTaskError) return err.exitstatus
  return err instanceof Error ? err.message : String(err)
}

/**
 * 595-599: pveproxy's own failures (docs/proxmox-api.md#proxy-errors). Transient; safe to retry
 * for idempotent calls.
 */
export function isProxyError(err: unknown): boolean {
  return err instanceof ProxmoxApiError && err.status >= 595 && err.status <= 599
}

/**
 * The answer never arrived: a 59x, a reset connection (e.g. a stale keep-alive socket) or a
 * timeout. The operation may or may not have happened; idempotent steps just retry.
 */
export function isAnswerLost(err: unknown): boolean {
  return isProxyError(err) || err instanceof ProxmoxNetworkError
}

/**
 * A flock timeout (docs/proxmox-api.md#locks): another operation holds the VM or storage lock.
 * Retry later.
 */
export function isLockTimeout(err: unknown): boolean {
  return /can't lock file '[^']+' - got timeout/.test(errorText(err))
}

/** The persisted config lock (docs/proxmox-api.md#locks), e.g. `VM is locked (clone)`. */
export function configLockName(err: unknown): string | null {
  return /VM is locked \(([^)]+)\)/.exec(errorText(err))?.[1] ?? null
}

/**
 * The clone lost the nextid race (docs/proxmox-api.md#nextid-race): the id was taken between
 * nextid and the clone's
 * worker. Any of these means "pick another id and try again".
 */
export function isLostIdRace(err: unknown, newid: number): boolean {
  const text = errorText(err)
  return (
    text.includes(`unable to create VM ${newid}: config file already exists`) ||
    text.includes(`lock-${newid}.conf' - got timeout`) ||
    (/close \(rename\) atomic file .* failed: File exists/.test(text) &&
      text.includes(`${newid}`)) ||
    text.includes(`VM ${newid} already exists`)
  )
}

/** The VM is gone (docs/proxmox-api.md#destroy): `Configuration file '…' does not exist`. */
export function isVmMissing(err: unknown): boolean {
  const text = errorText(err)
  return (
    /Configuration file '[^']+' does not exist/.test(text) ||
    /unable to find configuration file for VM/.test(text)
  )
}
