/**
 * The patterns of the Proxmox settings (core/settings.ts), in a module without zod: the runner's
 * watch path checks a connection by hand against the same ones (runner/src/net/watch-frame.ts).
 */

export const HEX_PAIR_FINGERPRINT = /^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/
export const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/
export const IPV4_CIDR =
  /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/
export const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/
export const NODE_NAME = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/
export const TOKEN_ID = /^[^\s@!]+@[a-zA-Z0-9.-]+![a-zA-Z][a-zA-Z0-9._-]*$/
export const STORAGE_ID = /^[a-zA-Z][a-zA-Z0-9_.-]*$/
export const POOL_NAME = /^$|^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+){0,2}$/
export const BRIDGE_NAME = /^[a-zA-Z][a-zA-Z0-9_.-]{0,14}$/
export const DOMAIN_NAME = /^$|^[a-zA-Z0-9.-]+$/
export const LINUX_USER = /^[a-z_][a-z0-9_-]{0,31}$/
