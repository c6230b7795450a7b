import { env } from 'cloudflare:test'
import { Jwt } from 'hono/utils/jwt'
import { vi } from 'vitest'
import { writeAccessSettings } from '../../worker/settings/access'

/**
 * A Cloudflare Access team served locally: RSA keys generated in the test, its certs URL answered
 * by a stub of the worker's `fetch` (tests and worker share one isolate), never the internet.
 */
export interface LocalTeam {
  domain: string
  audience: string
  /** How many times the worker fetched the team's keys. */
  certsFetches: () => number
  /** A new signing key; `publish` false keeps it out of the team's certs until publish(kid). */
  addKey: (options?: { publish?: boolean }) => Promise<string>
  publish: (kid: string) => void
  /** An Access token signed by `kid` (the first key by default), with `claims` over the usual. */
  token: (claims?: Record<string, unknown>, kid?: string) => Promise<string>
}

let serial = 0

export async function localTeam(): Promise<LocalTeam> {
  serial += 1
  const domain = `https://team-${serial}-${crypto.randomUUID().slice(0, 8)}.cloudflareaccess.com`
  const audience = crypto.randomUUID().replaceAll('-', '')
  const privateKeys = new Map<string, JsonWebKey>()
  const published: JsonWebKey[] = []
  const unpublished = new Map<string, JsonWebKey>()
  let fetches = 0
  const realFetch = globalThis.fetch
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const url = input instanceof Request ? input.url : String(input)
    if (url === `${domain}/cdn-cgi/access/certs`) {
      fetches += 1
      return Response.json({ keys: published, public_cert: {}, public_certs: [] })
    }
    if (url.startsWith('https://')) throw new Error(`no internet in tests: ${url}`)
    return realFetch(input, init)
  })
  const team: LocalTeam = {
    domain,
    audience,
    certsFetches: () => fetches,
    async addKey(options = {}) {
      const pair = (await crypto.subtle.generateKey(
        {
          name: 'RSASSA-PKCS1-v1_5',
          modulusLength: 2048,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: 'SHA-256',
        },
        true,
        ['sign', 'verify'],
      )) as CryptoKeyPair
      const kid = crypto.randomUUID()
      const pub = (await crypto.subtle.exportKey('jwk', pair.publicKey)) as JsonWebKey
      privateKeys.set(kid, (await crypto.subtle.exportKey('jwk', pair.privateKey)) as JsonWebKey)
      const entry = { kty: pub.kty, n: pub.n, e: pub.e, alg: 'RS256', use: 'sig', kid }
      if (options.publish === false) unpublished.set(kid, entry)
      else published.push(entry)
      return kid
    },
    publish(kid) {
      const entry = unpublished.get(kid)
      if (entry) published.push(entry)
    },
    async token(claims = {}, kid) {
      const useKid = kid ?? [...privateKeys.keys()][0]
      const key = useKid ? privateKeys.get(useKid) : undefined
      if (!useKid || !key) throw new Error('addKey() first')
      const now = Math.floor(Date.now() / 1000)
      return Jwt.sign(
        {
          aud: [audience],
          iss: domain,
          email: 'someone@example.com',
          iat: now,
          nbf: now,
          exp: now + 3600,
          type: 'app',
          sub: crypto.randomUUID(),
          ...claims,
        },
        { ...key, alg: 'RS256', kid: useKid },
      )
    },
  }
  await team.addKey()
  return team
}

/** Turn Access on for `team`, straight in D1 (the settings route's own test goes through it). */
export async function enableAccess(team: LocalTeam, passwordSignIn: boolean): Promise<void> {
  await writeAccessSettings(
    env.DB,
    { enabled: true, teamDomain: team.domain, audience: team.audience, passwordSignIn },
    'test',
  )
}

/** The header Access adds to the requests it lets through. */
export const viaAccess = (token: string) => ({ 'cf-access-jwt-assertion': token })
