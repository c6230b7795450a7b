import type { ServerToRunner } from '../../../core/protocol'
import { PROTOCOL_VERSION } from '../../../core/protocol/constants'
import { cidrContains, ipv4ToInt } from '../../../core/ipv4'
import * as rules from '../../../core/settings-rules'
import { isInt, isObject, isString, type JsonObject } from '../shape'

type WatchFrame = Extract<ServerToRunner, { type: 'watch' }>
type Connection = NonNullable<WatchFrame['proxmox']>
type Target = WatchFrame['targets'][number]

/**
 * A `watch` frame checked by hand with the rules of its zod schema (core/protocol/watch.ts), so a
 * runner between jobs loads no zod and no schema. It accepts only what the schema accepts and
 * returns what the schema would (unknown keys dropped); values the schema would rewrite (spaces
 * trimmed, numbers given as strings, a URL with a trailing slash) are never sent by the hub, and
 * such a frame, like any the check refuses, goes to the schema (null here).
 * test/runner/watch-frame.test.ts holds the two together.
 */
export function watchFrame(text: string): WatchFrame | null {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return null
  }
  if (!isObject(json) || json.v !== PROTOCOL_VERSION || json.type !== 'watch') return null
  const { statusIntervalMs, sweepIntervalMs, targets } = json
  if (!isInt(statusIntervalMs) || statusIntervalMs < 100) return null
  if (!isInt(sweepIntervalMs) || sweepIntervalMs < 0) return null
  if (!Array.isArray(targets) || targets.length > 1_000) return null
  const proxmox = json.proxmox === null ? null : connection(json.proxmox)
  if (proxmox === undefined) return null
  if (proxmox === null && (targets.length > 0 || sweepIntervalMs > 0)) return null
  const out: Target[] = []
  for (const t of targets) {
    const target = watchTarget(t)
    if (!target) return null
    out.push(target)
  }
  return {
    v: PROTOCOL_VERSION,
    type: 'watch',
    proxmox,
    statusIntervalMs,
    sweepIntervalMs,
    targets: out,
  }
}

/** A string the schema's `.trim()` leaves as it is, matching `pattern`. */
function trimmed(v: unknown, pattern?: RegExp, max = Infinity): v is string {
  return isString(v) && v === v.trim() && v.length <= max && (!pattern || pattern.test(v))
}

const intIn = (v: unknown, min: number, max: number): v is number =>
  isInt(v) && v >= min && v <= max

/** The connection as ProxmoxConnection (core/settings.ts) parses it, or undefined. */
function connection(v: unknown): Connection | undefined {
  if (!isObject(v)) return undefined
  const { apiUrl, node, tokenId, templateVmid, storage, bridge, gateway, ciUser, tokenSecret } = v
  const { backupStorage = 'local', pool = '', vlan = null, searchDomain = '', sshPort = 22 } = v
  const ok =
    trimmed(apiUrl) &&
    /^https?:\/\//.test(apiUrl) &&
    !/[\t\n\r]/.test(apiUrl) &&
    !/\/$|\/api2\/json$/.test(apiUrl) &&
    URL.canParse(apiUrl) &&
    trimmed(node, rules.NODE_NAME) &&
    trimmed(tokenId, rules.TOKEN_ID) &&
    intIn(templateVmid, 100, 999_999_999) &&
    trimmed(storage, rules.STORAGE_ID) &&
    trimmed(backupStorage, rules.STORAGE_ID) &&
    trimmed(pool, rules.POOL_NAME, 64) &&
    trimmed(bridge, rules.BRIDGE_NAME) &&
    (vlan === null || intIn(vlan, 1, 4094)) &&
    trimmed(gateway, rules.IPV4) &&
    trimmed(searchDomain, rules.DOMAIN_NAME, 253) &&
    trimmed(ciUser, rules.LINUX_USER) &&
    intIn(sshPort, 1, 65_535) &&
    isString(tokenSecret) &&
    tokenSecret.length > 0
  if (!ok) return undefined
  const tls = tlsCheck(v.tls)
  const ipPool = pool_(v.ipPool)
  const dns = v.dnsServers
  if (!tls || !ipPool || !Array.isArray(dns) || dns.length < 1 || dns.length > 3) return undefined
  if (!dns.every((d) => trimmed(d, rules.IPV4))) return undefined
  return {
    apiUrl,
    node,
    tokenId,
    tls,
    templateVmid,
    storage,
    backupStorage,
    pool,
    bridge,
    vlan,
    gateway,
    dnsServers: dns as string[],
    searchDomain,
    ipPool,
    ciUser,
    sshPort,
    tokenSecret,
  }
}

function tlsCheck(v: unknown): Connection['tls'] | undefined {
  if (!isObject(v)) return undefined
  switch (v.mode) {
    case 'insecure':
      return { mode: 'insecure' }
    case 'fingerprint': {
      const fp = v.fingerprint
      if (!trimmed(fp, rules.HEX_PAIR_FINGERPRINT) || fp !== fp.toUpperCase()) return undefined
      return { mode: 'fingerprint', fingerprint: fp }
    }
    case 'ca':
      return trimmed(v.caPem, rules.PEM_CERTIFICATE, 20_000)
        ? { mode: 'ca', caPem: v.caPem }
        : undefined
    default:
      return undefined
  }
}

function pool_(v: unknown): Connection['ipPool'] | undefined {
  if (!isObject(v)) return undefined
  const { cidr, rangeStart, rangeEnd } = v
  if (!trimmed(cidr, rules.IPV4_CIDR)) return undefined
  if (!trimmed(rangeStart, rules.IPV4) || !trimmed(rangeEnd, rules.IPV4)) return undefined
  if (ipv4ToInt(rangeStart) > ipv4ToInt(rangeEnd)) return undefined
  if (!cidrContains(cidr, rangeStart) || !cidrContains(cidr, rangeEnd)) return undefined
  return { cidr, rangeStart, rangeEnd }
}

/** A WatchTarget (core/protocol/watch.ts), or null. */
function watchTarget(v: unknown): Target | null {
  if (!isObject(v)) return null
  const { deploymentId, vmid, ipAddress, game } = v
  if (!isString(deploymentId) || deploymentId.length < 1 || deploymentId.length > 64) return null
  if (!isInt(vmid) || vmid <= 0 || !isString(ipAddress) || !isString(game)) return null
  const check = v.check === null ? null : healthCheck(v.check)
  if (check === undefined) return null
  const out: Target = { deploymentId, vmid, ipAddress, game, check }
  if (v.channel !== undefined) {
    const c = v.channel
    if (!isObject(c) || c.kind !== 'minecraft-server' || !isString(c.version)) return null
    if (c.edition !== 'vanilla' && c.edition !== 'paper') return null
    out.channel = { kind: 'minecraft-server', edition: c.edition, version: c.version }
  }
  return out
}

/** A HealthCheck (core/games/types.ts), or undefined. */
function healthCheck(v: unknown): Target['check'] | undefined {
  if (!isObject(v) || !isInt(v.port) || !isInt(v.timeoutMs) || v.timeoutMs <= 0) return undefined
  const { port, timeoutMs } = v
  switch (v.kind) {
    case 'tcp':
      return { kind: 'tcp', port, timeoutMs }
    case 'udp':
      return isString(v.payloadHex) && /^([0-9a-f]{2})*$/.test(v.payloadHex)
        ? { kind: 'udp', port, payloadHex: v.payloadHex, timeoutMs }
        : undefined
    case 'steam-a2s': {
      const expect = expectOf(v.expect, { name: isString })
      return expect && { kind: 'steam-a2s', port, expect, timeoutMs }
    }
    case 'minecraft-slp': {
      const expect = expectOf(v.expect, {
        motd: isString,
        maxPlayers: isInt,
        version: isString,
        edition: (e: unknown) => e === 'vanilla' || e === 'paper',
      })
      return expect && { kind: 'minecraft-slp', port, expect, timeoutMs }
    }
    default:
      return undefined
  }
}

/** An object of optional fields, each checked by its test; unknown keys dropped. */
function expectOf(
  v: unknown,
  tests: Record<string, (x: unknown) => boolean>,
): JsonObject | undefined {
  if (!isObject(v)) return undefined
  const out: JsonObject = {}
  for (const [key, test] of Object.entries(tests)) {
    if (v[key] === undefined) continue
    if (!test(v[key])) return undefined
    out[key] = v[key]
  }
  return out
}
