/**
 * PVE's named parameter formats (pve-common `JSONSchema.pm` `pve_verify_*`) for the parameters a
 * deployer sends. Each returns null when valid or the message PVE puts after `invalid format - `.
 * Formats not listed here are accepted: keep the list growing with what the client sends.
 */

const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/
const IPV6 = /^[0-9a-fA-F:]+(?:%\w+)?$/
const DNS_LABEL = '[a-zA-Z0-9](?:[a-zA-Z0-9\\-]*[a-zA-Z0-9])?'
const DNS_NAME = new RegExp(`^(?:${DNS_LABEL}\\.)*${DNS_LABEL}$`)
const CONFIGID = /^[a-z][a-z0-9_-]+$/i

function isIpv6(s: string): boolean {
  return IPV6.test(s) && s.includes(':') && s.split('::').length <= 2
}

function cidr(s: string, v6: boolean): boolean {
  const [ip = '', bits = '', ...rest] = s.split('/')
  if (rest.length > 0 || !/^\d+$/.test(bits)) return false
  return v6 ? isIpv6(ip) && Number(bits) <= 128 : IPV4.test(ip) && Number(bits) <= 32
}

type Verify = (value: string) => string | null

/** pve-qm-ipconfig (`QemuServer.pm verify_ipconfig` via parse_ipconfig). */
function ipconfig(value: string): string | null {
  const keys = new Map<string, string>()
  for (const part of value.split(',')) {
    const eq = part.indexOf('=')
    const k = eq === -1 ? '' : part.slice(0, eq)
    if (!['ip', 'gw', 'ip6', 'gw6'].includes(k))
      return `format error\n${k || part}: property is not defined in schema and the schema does not allow additional properties`
    keys.set(k, part.slice(eq + 1))
  }
  const ip = keys.get('ip')
  const gw = keys.get('gw')
  if (ip !== undefined && ip !== 'dhcp' && !cidr(ip, false)) {
    return 'format error\nip: invalid format - value does not look like a valid ipv4 network configuration'
  }
  if (gw !== undefined && !IPV4.test(gw))
    return 'format error\ngw: invalid format - value does not look like a valid IPv4 address'
  if (gw !== undefined && ip === undefined)
    return 'gateway specified without specifying an IP address'
  if (gw !== undefined && ip === 'dhcp') return 'gateway specified together with DHCP'
  const ip6 = keys.get('ip6')
  if (ip6 !== undefined && ip6 !== 'dhcp' && ip6 !== 'auto' && !cidr(ip6, true)) {
    return 'format error\nip6: invalid format - value does not look like a valid ipv6 network configuration'
  }
  return null
}

export const NAMED_FORMATS: Readonly<Record<string, Verify>> = {
  'pve-node': (v) =>
    DNS_NAME.test(v) && !v.includes('.') ? null : 'value does not look like a valid node name',
  'pve-vmid': (v) =>
    /^[1-9][0-9]{2,8}$/.test(v) ? null : 'value does not look like a valid VM ID',
  'dns-name': (v) => (DNS_NAME.test(v) ? null : 'value does not look like a valid DNS name'),
  'pve-storage-id': (v) =>
    /^[a-z][a-z0-9\-_.]*[a-z0-9]$/i.test(v)
      ? null
      : `storage ID '${v}' contains illegal characters`,
  'pve-poolid': (v) =>
    /^[A-Za-z0-9_\-/]+$/.test(v) ? null : `pool name '${v}' contains illegal characters`,
  'pve-configid': (v) => (CONFIGID.test(v) ? null : `invalid configuration ID '${v}'`),
  'pve-configid-list': (v) => {
    const bad = v.split(/[,;\s]+/).find((id) => id !== '' && !CONFIGID.test(id))
    return bad === undefined ? null : `invalid configuration ID '${bad}'`
  },
  // The stored sshkeys must already be percent-encoded (encodeURIComponent's alphabet):
  // docs/proxmox-api.md#sshkeys-encoding.
  urlencoded: (v) =>
    /^[-%a-zA-Z0-9_.!~*'()]*$/.test(v) ? null : `invalid urlencoded string: ${v}`,
  'pve-qm-ipconfig': ipconfig,
  'address-list': (v) => {
    const bad = v
      .split(/[,;\s]+/)
      .find((a) => a !== '' && !IPV4.test(a) && !isIpv6(a) && !DNS_NAME.test(a))
    return bad === undefined ? null : `value does not look like a valid address: ${bad}`
  },
  'pve-tag-list': (v) => {
    const tags = v.split(/[,;\s]+/).filter((t) => t !== '')
    const bad = tags.find((t) => !/^[a-z0-9_][a-z0-9_\-+.]*$/i.test(t))
    return bad === undefined ? null : `invalid characters in tag '${bad}'`
  },
  'pve-bridge-id': (v) => (/^[-_.\w\d]+$/.test(v) ? null : `invalid bridge ID '${v}'`),
  'mac-addr': (v) =>
    /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i.test(v) && (parseInt(v.slice(0, 2), 16) & 1) === 0
      ? null
      : 'value does not look like a valid unicast MAC address',
  ipv4: (v) => (IPV4.test(v) ? null : 'value does not look like a valid IPv4 address'),
  ipv6: (v) => (isIpv6(v) ? null : 'value does not look like a valid IPv6 address'),
  CIDR: (v) =>
    cidr(v, false) || cidr(v, true) ? null : 'value does not look like a valid CIDR network',
  CIDRv4: (v) => (cidr(v, false) ? null : 'value does not look like a valid IPv4 CIDR network'),
  CIDRv6: (v) => (cidr(v, true) ? null : 'value does not look like a valid IPv6 CIDR network'),
  'disk-size': (v) => (/^\+?\d+(\.\d+)?[KMGT]?$/.test(v) ? null : `unable to parse size '${v}'`),
}
