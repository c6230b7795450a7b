import { cidrContains, cidrPrefix, intToIpv4, ipv4ToInt, type IpPool } from '../../core/settings'
import { addressesInUse } from '../db/deployments'
import { ApiError } from '../http/errors'

/**
 * The free addresses of the pool in order, skipping those held by deployments that are not
 * destroyed. Allocation itself happens at insert: the partial unique index on `deployments.ip`
 * refuses a second live holder, and the caller moves on to the next candidate.
 */
export async function freeAddresses(db: D1Database, pool: IpPool, max: number): Promise<string[]> {
  const taken = new Set(await addressesInUse(db))
  const out: string[] = []
  for (let n = ipv4ToInt(pool.rangeStart); n <= ipv4ToInt(pool.rangeEnd) && out.length < max; n++) {
    const ip = intToIpv4(n)
    if (!taken.has(ip)) out.push(ip)
  }
  return out
}

/** Check an address the admin chose: inside the pool's network, not the gateway, not special. */
export function checkStaticAddress(pool: IpPool, gateway: string, ip: string): void {
  const prefix = cidrPrefix(pool.cidr)
  const size = 2 ** (32 - prefix)
  const offset = ipv4ToInt(ip) % size
  const problem = !cidrContains(pool.cidr, ip)
    ? `is outside the VM network ${pool.cidr}`
    : ip === gateway
      ? 'is the gateway'
      : prefix <= 30 && (offset === 0 || offset === size - 1)
        ? 'is the network or broadcast address'
        : null
  if (problem) {
    throw new ApiError(400, 'invalid_request', `Invalid body: network.ip: ${ip} ${problem}`, {
      details: [{ path: 'network.ip', message: `${ip} ${problem}` }],
    })
  }
}
