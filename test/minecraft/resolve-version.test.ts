import { describe, expect, it } from 'vitest'
import {
  MinecraftVersionResolver,
  VERSION_LIST_TTL_MS,
  VersionResolutionError,
} from '../../runner/src/games/minecraft-version'
import { recordedRoutes, stubFetch } from './fixture-fetch'

const USER_AGENT = 'proxmox-game-deployer-tests/0.1 (tests@example.invalid)'

function resolverWith(routes = recordedRoutes(), now = () => 0) {
  const stub = stubFetch(routes)
  return {
    resolver: new MinecraftVersionResolver({ userAgent: USER_AGENT, fetch: stub.fetch, now }),
    ...stub,
  }
}

async function failure(work: Promise<unknown>): Promise<VersionResolutionError> {
  const err = await work.then(
    () => null,
    (e: unknown) => e,
  )
  if (!(err instanceof VersionResolutionError))
    throw new Error(`expected a VersionResolutionError, got ${String(err)}`)
  return err
}

describe('vanilla version resolution', () => {
  it('resolves a pinned version to Mojang’s server jar, its SHA-1 and Java major', async () => {
    const { resolver } = resolverWith()
    expect(await resolver.resolve('vanilla', '1.21.5')).toEqual({
      edition: 'vanilla',
      version: '1.21.5',
      url: 'https://piston-data.mojang.com/v1/objects/e6ec2f64e6080b9b5d9b471b291c33cc7f509733/server.jar',
      checksum: { algorithm: 'sha1', hex: 'e6ec2f64e6080b9b5d9b471b291c33cc7f509733' },
      javaMajor: 21,
    })
  })

  it('resolves latest to the newest release, not the newest snapshot', async () => {
    const { resolver } = resolverWith()
    const artifact = await resolver.resolve('vanilla', 'latest')
    expect({ version: artifact.version, javaMajor: artifact.javaMajor }).toEqual({
      version: '26.1',
      javaMajor: 25,
    })
  })

  it('reads Java 17 for 1.20.4 from the per-version JSON', async () => {
    const { resolver } = resolverWith()
    expect((await resolver.resolve('vanilla', '1.20.4')).javaMajor).toBe(17)
  })

  it('refuses an unknown version and names the latest release', async () => {
    const { resolver } = resolverWith()
    const err = await failure(resolver.resolve('vanilla', '1.99.9'))
    expect({ code: err.code, message: err.message }).toEqual({
      code: 'unknown-version',
      message: 'Minecraft 1.99.9 is not a version Mojang publishes (latest release: 26.1)',
    })
  })

  it('refuses a version that needs Java 8', async () => {
    const { resolver } = resolverWith()
    const err = await failure(resolver.resolve('vanilla', '1.16.5'))
    expect(err.code).toBe('unsupported-version')
    expect(err.message).toContain('needs Java 8')
  })

  it('falls back to the version table when the JSON has no javaVersion', async () => {
    const { resolver } = resolverWith()
    const err = await failure(resolver.resolve('vanilla', '1.6.4'))
    expect(err.message).toBe(
      'Minecraft 1.6.4 needs Java 8, which is not supported: pick 1.17 or newer',
    )
  })

  it('rejects a per-version JSON that does not match its SHA-1 in the manifest', async () => {
    const routes = recordedRoutes()
    const url = [...routes.keys()].find((u) => u.endsWith('/1.21.5.json'))!
    routes.set(url, routes.get(url)!.replace('"javaVersion"', '"javaVersion" '))
    const { resolver } = resolverWith(routes)
    const err = await failure(resolver.resolve('vanilla', '1.21.5'))
    expect(err.message).toContain('does not match its SHA-1')
  })

  it('sends its User-Agent upstream', async () => {
    const { resolver, calls } = resolverWith()
    await resolver.resolve('vanilla', '1.21.5')
    expect(new Set(calls.map((c) => c.userAgent))).toEqual(new Set([USER_AGENT]))
  })
})

describe('resolution cache', () => {
  it('fetches the manifest once for several resolutions within its lifetime', async () => {
    const { resolver, calls } = resolverWith()
    await resolver.resolve('vanilla', '1.21.5')
    await resolver.resolve('vanilla', '1.20.4')
    await resolver.resolve('vanilla', '1.21.5')
    expect(calls.map((c) => c.url.split('/').pop())).toEqual([
      'version_manifest_v2.json',
      '1.21.5.json',
      '1.20.4.json',
    ])
  })

  it('fetches the manifest again once its lifetime is over', async () => {
    let clock = 0
    const { resolver, calls } = resolverWith(recordedRoutes(), () => clock)
    await resolver.resolve('vanilla', 'latest')
    clock = VERSION_LIST_TTL_MS + 1
    await resolver.resolve('vanilla', 'latest')
    expect(calls.filter((c) => c.url.endsWith('version_manifest_v2.json'))).toHaveLength(2)
  })

  it('does not keep a failed download', async () => {
    const routes = recordedRoutes()
    const manifestUrl = [...routes.keys()][0]!
    const manifest = routes.get(manifestUrl)!
    routes.delete(manifestUrl)
    const { resolver } = resolverWith(routes)
    await failure(resolver.resolve('vanilla', 'latest'))
    routes.set(manifestUrl, manifest)
    expect((await resolver.resolve('vanilla', 'latest')).version).toBe('26.1')
  })
})

describe('Paper version resolution (Fill v3)', () => {
  it('picks the newest stable build of a pinned version, with its SHA-256 and Java minimum', async () => {
    const { resolver } = resolverWith()
    const artifact = await resolver.resolve('paper', '1.21.5')
    expect(artifact).toEqual({
      edition: 'paper',
      version: '1.21.5',
      build: 113,
      url: 'https://fill-data.papermc.io/v1/objects/18d776aae1a15c4efaaca60eed50b801f3c97783cb957d19a6c807ba4f2d1c13/paper-1.21.5-113.jar',
      checksum: {
        algorithm: 'sha256',
        hex: '18d776aae1a15c4efaaca60eed50b801f3c97783cb957d19a6c807ba4f2d1c13',
      },
      javaMajor: 21,
    })
  })

  it('resolves latest to the newest version that has a stable build', async () => {
    const { resolver } = resolverWith()
    const artifact = await resolver.resolve('paper', 'latest')
    expect({ version: artifact.version, build: artifact.build }).toEqual({
      version: '1.21.5',
      build: 113,
    })
  })

  it('says so when a pinned version has no stable build yet', async () => {
    const { resolver } = resolverWith()
    const err = await failure(resolver.resolve('paper', '1.21.10'))
    expect({ code: err.code, message: err.message }).toEqual({
      code: 'no-stable-build',
      message: 'Paper 1.21.10 has no stable build yet',
    })
  })

  it('refuses a version Paper does not know', async () => {
    const { resolver } = resolverWith()
    const err = await failure(resolver.resolve('paper', '1.99.9'))
    expect({ code: err.code, message: err.message }).toEqual({
      code: 'unknown-version',
      message: 'Paper has no version 1.99.9',
    })
  })
})
