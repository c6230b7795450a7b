import type { AlertChannelKind } from '../../core/alerts'
import { ApiError } from '../http/errors'

const DISCORD_HOSTS = new Set([
  'discord.com',
  'discordapp.com',
  'ptb.discord.com',
  'canary.discord.com',
])

function refuse(message: string): ApiError {
  return new ApiError(400, 'invalid_webhook_url', `Invalid body: url: ${message}`, {
    details: [{ path: 'url', message }],
  })
}

/** True for an IPv4 literal in a range no public webhook receiver lives in. */
function privateIpv4(host: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host)
  if (!m) return false
  const [a = 0, b = 0] = m.slice(1, 3).map(Number)
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    a >= 224
  )
}

/** Any IPv6 literal (URL keeps it in brackets): loopback, link-local, ULA or mapped v4 alike. */
function ipv6Literal(host: string): boolean {
  return host.startsWith('[')
}

/**
 * Check a webhook URL before it is sealed: https only, no user:password, a Discord webhook path
 * for Discord, no private or loopback IP literal. Plain http to 127.0.0.1 is accepted only when the
 * worker drives the local simulator (`TARGET_MODE=demo`), so the test receiver can listen on
 * loopback; that var is deployment configuration, never an API field.
 */
export function validateWebhookUrl(kind: AlertChannelKind, raw: string, env: Env): URL {
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    throw refuse('this is not a web address (it should start with https://)')
  }
  if (url.username || url.password)
    throw refuse('the address must not contain a user name or password')
  const host = url.hostname.toLowerCase()
  const demoLoopback = env.TARGET_MODE === 'demo' && host === '127.0.0.1'
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && demoLoopback))
    throw refuse('the address must start with https://')
  if (kind === 'discord') {
    if (!DISCORD_HOSTS.has(host) || !/^\/api\/webhooks\/\d+\/[\w-]+\/?$/.test(url.pathname))
      throw refuse(
        'a Discord webhook address looks like https://discord.com/api/webhooks/<id>/<token>',
      )
    return url
  }
  if (!demoLoopback && (privateIpv4(host) || ipv6Literal(host) || host === 'localhost'))
    throw refuse('the address must be a public host, not a private or loopback address')
  return url
}

/**
 * What the dashboard shows of a sealed webhook address: its host and the last 4 characters, so
 * an admin can tell two channels apart without the token in the path being readable.
 */
export function maskWebhookUrl(raw: string): string {
  let host = '?'
  try {
    host = new URL(raw).host
  } catch {
    // An unparsable stored address still shows its tail.
  }
  return `${host} …${raw.slice(-4)}`
}
