/** IPv4 arithmetic, in a module without zod (the runner's watch path checks address pools with it). */

/** 192.168.1.10 → 3232235786. Assumes a valid dotted address. */
export function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0)
}

/** 3232235786 → 192.168.1.10. */
export function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.')
}

/** Whether `ip` lies inside `cidr`. */
export function cidrContains(cidr: string, ip: string): boolean {
  const [base = '', bitsText = '32'] = cidr.split('/')
  const bits = Number(bitsText)
  const size = 2 ** (32 - bits)
  const start = Math.floor(ipv4ToInt(base) / size) * size
  const n = ipv4ToInt(ip)
  return n >= start && n < start + size
}

/** The prefix length of a CIDR, e.g. 24 for 192.168.1.0/24. */
export function cidrPrefix(cidr: string): number {
  return Number(cidr.split('/')[1])
}
