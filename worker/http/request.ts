import type { AppContext } from '../env'

/** The client's address: Cloudflare sets CF-Connecting-IP in production and in wrangler dev. */
export function clientIp(c: AppContext): string {
  return c.req.header('cf-connecting-ip') ?? c.req.header('x-real-ip') ?? 'unknown'
}

export function userAgent(c: AppContext): string | null {
  return c.req.header('user-agent')?.slice(0, 512) ?? null
}

/** Whether the dashboard is being served over https (the cookie gets `Secure` then). */
export function isHttps(c: AppContext): boolean {
  return new URL(c.req.url).protocol === 'https:'
}
