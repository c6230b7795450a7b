import { env } from 'cloudflare:test'
import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { app } from '../../worker/app'
import { PUBLIC_ROUTES } from '../../worker/http/authorize'
import { ORIGIN, setupAdmin } from './helpers'
import { configureProxmox, createDeployment, registerRunner } from './engine-helpers'

/**
 * API fuzz: thousands of generated requests — bad JSON, wrong types, huge bodies,
 * unicode, injection strings, wrong methods, no / forged / expired cookies, foreign Origin —
 * through the real worker entry. Nothing may answer ≥ 500, nothing may be reached without a
 * valid session, and the database must be as it was.
 */
const REQUESTS = 10_000

/** mulberry32: a small seeded PRNG, so a failure can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const NASTY = [
  "' OR 1=1 --",
  '"; DROP TABLE users; --',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '%00',
  '\u0000',
  '𝕳𝖊𝖑𝖑𝖔 🎮',
  'ﷺ'.repeat(50),
  '${7*7}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  '-1',
  '1e309',
  'NaN',
  'null',
  ' ',
  'a'.repeat(5000),
]

function value(r: () => number, depth = 0): unknown {
  const pick = Math.floor(r() * 11)
  switch (pick) {
    case 0:
      return NASTY[Math.floor(r() * NASTY.length)]
    case 1:
      return Math.floor(r() * 2 ** 40) * (r() < 0.5 ? -1 : 1)
    case 2:
      return r() < 0.5
    case 3:
      return null
    case 4:
      return depth > 3
        ? 'deep'
        : Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1))
    case 5:
      return depth > 3 ? {} : randomObject(r, depth + 1)
    case 6:
      return r() * 1e6
    case 7:
      return String.fromCodePoint(...Array.from({ length: 8 }, () => Math.floor(r() * 0x2ffff)))
    case 8:
      return { __proto__: { admin: true }, polluted: true }
    default:
      return 'x'.repeat(Math.floor(r() * 64))
  }
}

/** encodeURIComponent, or a malformed escape for strings it refuses (lone surrogates). */
function enc(text: string): string {
  try {
    return encodeURIComponent(text)
  } catch {
    return '%E0%A4%A'
  }
}

const KEYS = [
  'username',
  'password',
  'name',
  'game',
  'config',
  'network',
  'apiUrl',
  'tokenSecret',
  'tls',
  'ipPool',
  'code',
  'eula',
  'mode',
  'ip',
]

function randomObject(r: () => number, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const n = Math.floor(r() * 6)
  for (let i = 0; i < n; i++) out[KEYS[Math.floor(r() * KEYS.length)] ?? 'k'] = value(r, depth)
  return out
}

function body(r: () => number): { text?: string; type?: string } {
  const pick = Math.floor(r() * 9)
  switch (pick) {
    case 0:
      return {}
    case 1:
      return { text: '{"username": "admin", ', type: 'application/json' }
    case 2:
      return { text: JSON.stringify(randomObject(r)), type: 'application/json' }
    case 3:
      return { text: JSON.stringify(value(r)), type: 'application/json' }
    case 4:
      return { text: 'x'.repeat(300_000), type: 'application/json' }
    case 5:
      return { text: 'a=1&b=2', type: 'application/x-www-form-urlencoded' }
    case 6:
      return { text: JSON.stringify(randomObject(r)), type: 'text/plain' }
    case 7:
      return { text: '['.repeat(2000), type: 'application/json' }
    default:
      return {
        text: JSON.stringify({
          username: value(r),
          password: value(r),
          name: value(r),
          game: 'minecraft',
          config: randomObject(r),
        }),
        type: 'application/json; charset=utf-8',
      }
  }
}

describe('API fuzz', () => {
  it(`answers ${REQUESTS} generated requests without a 5xx, without access, and keeps the database intact`, async () => {
    const cookie = await setupAdmin()
    await configureProxmox(cookie)
    await registerRunner(cookie)
    const dep = await createDeployment(cookie)
    // An expired session, to be refused like no session at all.
    const expired = await setupExpiredSession()
    const snapshot = await dbSnapshot()

    const routes = app.routes
      .filter((rt) => rt.method !== 'ALL' && rt.path.startsWith('/api/'))
      .map((rt) => ({ method: rt.method, path: rt.path }))
    const r = rng(20261125)
    const failures: string[] = []
    let reachedWithoutSession = 0
    for (let i = 0; i < REQUESTS; i++) {
      const route = routes[Math.floor(r() * routes.length)] ?? {
        method: 'GET',
        path: '/api/health',
      }
      const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']
      const method = r() < 0.7 ? route.method : (methods[Math.floor(r() * methods.length)] ?? 'GET')
      let path = route.path.replace(/:[A-Za-z]+/g, () =>
        r() < 0.3 ? dep.id : enc(NASTY[Math.floor(r() * NASTY.length)] ?? 'x'),
      )
      if (r() < 0.1)
        path += `?${enc(NASTY[Math.floor(r() * NASTY.length)] ?? '')}=${enc(String(value(r)))}`
      if (r() < 0.05) path = `/api/${enc(String(value(r)))}`
      const auth = Math.floor(r() * 4)
      const mutates = !['GET', 'HEAD', 'OPTIONS'].includes(method)
      // Signed-in requests never carry a valid body for a mutation, and never hit the body-less
      // actions (sign-out, cancel, retry, destroy, power, revoke): those would be legitimate changes.
      const bodiless =
        /\/(logout|cancel|retry|destroy|start|stop|restart)$/.test(path.split('?')[0] ?? path) ||
        method === 'DELETE'
      const signedIn = auth === 3 && !(mutates && bodiless)
      const headers: Record<string, string> = {
        'cf-connecting-ip': `198.51.100.${Math.floor(r() * 250)}`,
      }
      if (auth === 1) headers.cookie = `session_id=${enc(String(value(r)))}`
      if (auth === 2) headers.cookie = expired
      if (signedIn) headers.cookie = cookie
      const origin = r()
      if (origin < 0.6) headers.origin = ORIGIN
      else if (origin < 0.8) headers.origin = 'https://evil.example'
      const b: { text?: string; type?: string } =
        method === 'GET' || method === 'HEAD' ? {} : body(r)
      if (signedIn && mutates) {
        // Never valid JSON: a signed-in mutation must fail validation.
        b.text = `${b.text ?? ''}{`
        b.type ??= 'application/json'
      }
      if (b.type) headers['content-type'] = b.type
      let res: Response
      try {
        res = await exports.default.fetch(
          new Request(`${ORIGIN}${path}`, { method, headers, body: b.text }),
        )
      } catch (err) {
        failures.push(`${method} ${path}: threw ${String(err)}`)
        continue
      }
      await res.arrayBuffer()
      if (res.status >= 500) failures.push(`${method} ${path} → ${res.status}`)
      const publicRoute =
        // A HEAD is the GET of the same route without its body.
        PUBLIC_ROUTES.has(
          `${method === 'HEAD' ? 'GET' : method} ${new URL(`${ORIGIN}${path}`).pathname}`,
        ) || path.startsWith('/api/runner/')
      if (!signedIn && !publicRoute && res.status < 300 && path.startsWith('/api/')) {
        reachedWithoutSession++
        failures.push(`${method} ${path} reached without a session → ${res.status}`)
      }
    }
    expect(failures.slice(0, 20)).toEqual([])
    expect(reachedWithoutSession).toBe(0)
    expect(await dbSnapshot()).toEqual(snapshot)
  }, 600_000)
})

async function setupExpiredSession(): Promise<string> {
  const res = await exports.default.fetch(
    new Request(`${ORIGIN}/api/auth/login`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: ORIGIN,
        'cf-connecting-ip': '192.0.2.99',
      },
      body: JSON.stringify({ username: 'admin', password: 'correct horse battery' }),
    }),
  )
  const cookie = /session_id=([^;]*)/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? ''
  await env.DB.prepare('update sessions set expires_at = 1 where user_agent is null and ip = ?1')
    .bind('192.0.2.99')
    .run()
  return `session_id=${cookie}`
}

/** What must not change: the accounts, the settings, the runners, the deployments. */
async function dbSnapshot() {
  const q = (sql: string) =>
    env.DB.prepare(sql)
      .all()
      .then((r) => r.results)
  return {
    users: await q('select id, username, password_hash from users'),
    settings: await q('select key, value_json from settings'),
    runners: await q('select id, name, key_hash, revoked_at from runners'),
    deployments: await q('select id, name, status, ip from deployments'),
    jobs: await q('select id, status from jobs'),
  }
}
