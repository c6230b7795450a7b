import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * The game publishers' metadata services, simulated on a loopback address for the demo and the
 * tests against the simulator: Mojang's version manifest v2 with a per-version JSON for every
 * release, and PaperMC's Fill v3 API (project, version, builds). The runner's real version
 * resolver reads them exactly as it reads Mojang and PaperMC (docs/minecraft.md#version-resolution),
 * so a deployment of any release the form accepts resolves to a concrete version
 * without the internet. Hashes are synthetic (SHA of a label); no jar is ever served, since the
 * simulated provisioner downloads nothing.
 */

/** Releases both editions publish here, oldest first; the last is `latest`. */
export const SIMULATED_RELEASES: readonly string[] = [
  ...['1.17', '1.17.1'],
  ...['1.18', '1.18.1', '1.18.2'],
  ...['1.19', '1.19.1', '1.19.2', '1.19.3', '1.19.4'],
  ...['1.20', '1.20.1', '1.20.2', '1.20.3', '1.20.4', '1.20.5', '1.20.6'],
  ...Array.from({ length: 11 }, (_, i) => (i === 0 ? '1.21' : `1.21.${i}`)),
  ...['26.1', '26.1.1'],
]

/** The Java a release needs, as Mojang's `javaVersion.majorVersion` says. */
function javaFor(version: string): number {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number)
  if (major >= 26) return 25
  if (minor === 17) return 16
  if (minor < 20 || (minor === 20 && patch < 5)) return 17
  return 21
}

function sha(algorithm: 'sha1' | 'sha256', text: string): string {
  return createHash(algorithm).update(text).digest('hex')
}

export interface GameUpstream {
  /** For RUNNER_MINECRAFT_MANIFEST_URL. */
  mojangManifestUrl: string
  /** For RUNNER_PAPER_API_URL (the resolver appends `/v3/projects/paper`). */
  paperApiUrl: string
  /** The runner's environment for these URLs. */
  runnerEnv(): Record<string, string>
  /** A new release comes out: it is the newest (`latest`) of both editions from now on. */
  publish(version: string): void
  close(): Promise<void>
}

const PROFILES_PATH = '/minecraft/profile/lookup/bulk/byname'

/** The account id the simulated Mojang gives a player name: stable, derived from the name. */
export function simulatedAccountId(name: string): string {
  return createHash('md5').update(`simulated account ${name.toLowerCase()}`).digest('hex')
}

/**
 * Mojang's bulk profile lookup: a JSON array of at most 10 names in, the accounts it knows out
 * (`[{ id, name }]`, unknown names left out). Here every name is an account except those
 * starting with `Nobody`, so a test can ask for one that does not exist.
 */
function lookupProfiles(req: IncomingMessage, res: ServerResponse): void {
  let body = ''
  req.setEncoding('utf8')
  req.on('data', (chunk: string) => {
    body += chunk
    if (body.length > 10_000) req.destroy()
  })
  req.on('end', () => {
    let names: unknown
    try {
      names = JSON.parse(body)
    } catch {
      names = null
    }
    if (!Array.isArray(names) || names.length > 10 || !names.every((n) => typeof n === 'string')) {
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          error: 'CONSTRAINT_VIOLATION',
          errorMessage: 'size must be between 1 and 10',
        }),
      )
      return
    }
    const known = (names as string[]).filter((n) => !n.startsWith('Nobody'))
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(known.map((name) => ({ id: simulatedAccountId(name), name }))))
  })
}

/**
 * Serve the simulated metadata on `host` (loopback only), port 0, publishing `releases` (oldest
 * first; the last is `latest`) until `publish` adds a newer one.
 */
export async function serveGameUpstream(
  host = '127.0.0.1',
  releases: readonly string[] = SIMULATED_RELEASES,
): Promise<GameUpstream> {
  if (!host.startsWith('127.')) throw new Error(`refusing to bind ${host}: not loopback`)
  const routes = new Map<string, string>()
  const server: Server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === PROFILES_PATH) return lookupProfiles(req, res)
    const body = routes.get((req.url ?? '').split('?')[0] ?? '')
    if (body === undefined) {
      // Fill's error body; Mojang answers a bare 404.
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ ok: false, message: 'Not found.' }))
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(body)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => resolve())
  })
  // Stateless and shared: it never keeps a test process or the demo alive by itself.
  server.unref()
  const base = `http://${host}:${(server.address() as AddressInfo).port}`

  const published = [...releases]
  const publishAll = (): void => {
    routes.clear()
    const newestFirst = [...published].reverse()
    const latest = newestFirst[0] ?? '1.21.10'
    const versions = newestFirst.map((id, i) => {
      const jarSha1 = sha('sha1', `simulated vanilla ${id}`)
      const text = JSON.stringify({
        id,
        type: 'release',
        downloads: {
          server: {
            sha1: jarSha1,
            size: 50_000_000 + i,
            url: `${base}/v1/objects/${jarSha1}/server.jar`,
          },
        },
        javaVersion: { component: 'java-runtime', majorVersion: javaFor(id) },
      })
      const textSha1 = sha('sha1', text)
      const path = `/v1/packages/${textSha1}/${id}.json`
      routes.set(path, text)
      return { id, type: 'release', url: `${base}${path}`, sha1: textSha1 }
    })
    routes.set(
      '/mc/game/version_manifest_v2.json',
      JSON.stringify({ latest: { release: latest, snapshot: latest }, versions }),
    )

    const paper = '/v3/projects/paper'
    const groups: Record<string, string[]> = {}
    for (const id of newestFirst) (groups[id.split('.').slice(0, 2).join('.')] ??= []).push(id)
    routes.set(paper, JSON.stringify({ project: { id: 'paper', name: 'Paper' }, versions: groups }))
    for (const id of newestFirst) {
      routes.set(
        `${paper}/versions/${id}`,
        JSON.stringify({
          version: {
            id,
            support: { status: 'SUPPORTED' },
            java: { version: { minimum: javaFor(id) } },
          },
          builds: [7],
        }),
      )
      const jarSha256 = sha('sha256', `simulated paper ${id} build 7`)
      routes.set(
        `${paper}/versions/${id}/builds`,
        JSON.stringify([
          {
            id: 7,
            time: '2026-11-01T00:00:00Z',
            channel: 'STABLE',
            downloads: {
              'server:default': {
                name: `paper-${id}-7.jar`,
                checksums: { sha256: jarSha256 },
                size: 50_000_000,
                url: `${base}/v1/objects/${jarSha256}/paper-${id}-7.jar`,
              },
            },
          },
        ]),
      )
    }
  }
  publishAll()

  const mojangManifestUrl = `${base}/mc/game/version_manifest_v2.json`
  return {
    publish(version) {
      published.push(version)
      publishAll()
    },
    mojangManifestUrl,
    paperApiUrl: base,
    runnerEnv: () => ({
      RUNNER_MINECRAFT_MANIFEST_URL: mojangManifestUrl,
      RUNNER_PAPER_API_URL: base,
      RUNNER_MOJANG_PROFILES_URL: `${base}${PROFILES_PATH}`,
    }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
