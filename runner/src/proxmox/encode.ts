/**
 * Encoding of request parameters the way PVE's hand-written decoder needs them
 * (docs/proxmox-api.md#requests and #sshkeys-encoding).
 */

export type ParamValue = string | number | boolean | undefined
export type Params = Readonly<Record<string, ParamValue>>

/**
 * Form/query encoding: booleans as `1`/`0` (PVE rejects `true`), undefined dropped, everything
 * percent-encoded by URLSearchParams (so `=`, `;`, `&`, `+` survive PVE's `split(/[&;]/)`).
 */
export function encodeForm(params: Params): string {
  const form = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue
    form.append(key, typeof value === 'boolean' ? (value ? '1' : '0') : String(value))
  }
  return form.toString()
}

/**
 * The `sshkeys` value: the keys joined by newlines, then percent-encoded ONCE with
 * encodeURIComponent, whose output is exactly PVE's `urlencoded` alphabet
 * `[-%a-zA-Z0-9_.!~*'()]`. The form encoding then encodes it a second time, which is right: the
 * server decodes once and validates the still-encoded string. `+` for spaces (Python quote_plus,
 * Go QueryEscape) is rejected by PVE (docs/proxmox-api.md#sshkeys-encoding).
 */
export function encodeSshKeys(keys: readonly string[]): string {
  return encodeURIComponent(keys.map((k) => k.trim()).join('\n'))
}

/** The inverse of {@link encodeSshKeys}, for the value GET config returns (`+` stays `+`). */
export function decodeSshKeys(stored: string): string[] {
  return decodeURIComponent(stored)
    .split('\n')
    .map((k) => k.trim())
    .filter((k) => k.length > 0)
}

/** `net0`: virtio on the bridge, VLAN tag if set; PVE adds the MAC: docs/proxmox-api.md#config. */
export function formatNet0(bridge: string, vlan: number | null): string {
  return `virtio,bridge=${bridge}${vlan !== null ? `,tag=${vlan}` : ''}`
}

/** `ipconfig0`: static IPv4 with prefix and gateway. */
export function formatIpconfig0(ip: string, prefix: number, gateway: string): string {
  return `ip=${ip}/${prefix},gw=${gateway}`
}

/** Parse a PVE property string such as `virtio=BC:..,bridge=vmbr0,tag=20` into pairs. */
export function parsePropertyString(value: string, defaultKey?: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const part of value.split(',')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    if (eq === -1) {
      if (defaultKey !== undefined) out.set(defaultKey, part)
      continue
    }
    out.set(part.slice(0, eq), part.slice(eq + 1))
  }
  return out
}

/** `40G`, `2252M`, `512K`, `1T` or plain bytes → bytes (binary: docs/proxmox-api.md#resize). */
export function parseDiskSize(size: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)$/.exec(size)
  if (!m) return null
  const exp = { '': 0, K: 1, M: 2, G: 3, T: 4 }[m[2] as '' | 'K' | 'M' | 'G' | 'T']
  return Math.round(Number(m[1]) * 1024 ** exp)
}

/** Drive keys that can hold a disk. */
const DISK_KEYS = /^(scsi|virtio|sata|ide)\d+$/

/**
 * The VM's system disk and its current size, from GET config: the first disk in `boot: order=`,
 * else the first disk drive (CD-ROMs such as the cloud-init drive excluded).
 */
export function findBootDisk(
  config: Record<string, unknown>,
): { key: string; size: string; bytes: number | null } | null {
  const isDisk = (key: string): boolean => {
    const v = config[key]
    return DISK_KEYS.test(key) && typeof v === 'string' && !/(^|,)media=cdrom(,|$)/.test(v)
  }
  const order =
    typeof config.boot === 'string'
      ? (parsePropertyString(config.boot, 'legacy').get('order') ?? '')
      : ''
  const fromBoot = order.split(';').find(isDisk)
  const key =
    fromBoot ??
    Object.keys(config)
      .filter(isDisk)
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))[0]
  if (!key) return null
  const size = parsePropertyString(String(config[key])).get('size') ?? ''
  return { key, size: size || 'unknown size', bytes: size ? parseDiskSize(size) : null }
}
