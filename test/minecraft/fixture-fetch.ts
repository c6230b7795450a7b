import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const FIXTURES = new URL('../fixtures/minecraft/', import.meta.url).pathname

/** A recorded fixture file's text. */
export function fixture(path: string): string {
  return readFileSync(join(FIXTURES, path), 'utf8')
}

const MOJANG_META = 'https://piston-meta.mojang.com'
const FILL = 'https://fill.papermc.io/v3/projects/paper'

/** The upstream URLs the recorded fixtures answer, as the real services lay them out. */
export function recordedRoutes(): Map<string, string> {
  const routes = new Map<string, string>()
  const manifest = fixture('mojang/version_manifest_v2.json')
  routes.set(`${MOJANG_META}/mc/game/version_manifest_v2.json`, manifest)
  const parsed = JSON.parse(manifest) as { versions: { id: string; url: string }[] }
  for (const v of parsed.versions) routes.set(v.url, fixture(`mojang/${v.id}.json`))
  routes.set(FILL, fixture('paper/project.json'))
  for (const v of ['1.21.10', '1.21.5']) {
    routes.set(`${FILL}/versions/${v}`, fixture(`paper/version-${v}.json`))
    routes.set(`${FILL}/versions/${v}/builds`, fixture(`paper/builds-${v}.json`))
  }
  return routes
}

export interface FetchCall {
  url: string
  userAgent: string | null
}

/**
 * A `fetch` that answers from `routes` (404 with Fill's error body otherwise) and records each
 * call, so tests see what the resolver asked for and with which User-Agent. No network.
 */
export function stubFetch(routes: Map<string, string>): {
  fetch: typeof fetch
  calls: FetchCall[]
} {
  const calls: FetchCall[] = []
  const stub = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    calls.push({ url, userAgent: new Headers(init?.headers).get('user-agent') })
    const body = routes.get(url)
    if (body === undefined) {
      return new Response(fixture('paper/not-found.json'), {
        status: 404,
        headers: { 'content-type': 'application/json' },
      })
    }
    return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } })
  }
  return { fetch: stub as typeof fetch, calls }
}
