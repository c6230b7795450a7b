import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, readFile, rm, stat } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { REPO_ROOT } from './qemu'

const run = promisify(execFile)

/**
 * Compiles the stand-in server (fake-server/FakeServer.java) with the host's JDK for Java 17,
 * so the guest's Java 21 runs it, and packages it as an executable jar.
 */
export async function buildFakeServerJar(outDir: string): Promise<{ path: string; sha1: string }> {
  const classes = join(outDir, 'classes')
  await rm(outDir, { recursive: true, force: true })
  await mkdir(classes, { recursive: true })
  const source = join(REPO_ROOT, 'test/vm/fake-server/FakeServer.java')
  await run('javac', ['--release', '17', '-d', classes, source], { timeout: 120_000 })
  const jar = join(outDir, 'server.jar')
  await run('jar', ['--create', '--file', jar, '--main-class', 'FakeServer', '-C', classes, '.'], {
    timeout: 60_000,
  })
  return { path: jar, sha1: sha1(await readFile(jar)) }
}

function sha1(data: Buffer | string): string {
  return createHash('sha1').update(data).digest('hex')
}

const FIXTURES = join(REPO_ROOT, 'test/fixtures/minecraft/mojang')

/** The version whose server download the mirror replaces with the stand-in jar. */
export const STAND_IN_VERSION = '1.21.5'

export interface MinecraftMirror {
  /** For RUNNER_MINECRAFT_MANIFEST_URL. */
  manifestUrl: string
  server: Server
  /** Paths requested so far, e.g. to check that the runner resolved through the mirror. */
  requests: string[]
}

/**
 * A mirror of Mojang's metadata and downloads on a loopback address, laid out as upstream
 * (`/mc/game/version_manifest_v2.json`, `/v1/packages/<sha1>/<id>.json`, `/v1/objects/…`), from
 * the recorded fixtures (test/fixtures/minecraft/mojang). The one change: 1.21.5's server
 * download is the stand-in jar (URL, SHA-1, size), and its manifest entry carries the SHA-1 of
 * the changed per-version file, as Mojang's v2 manifest does. The runner resolves and the
 * playbook downloads and checks exactly as against Mojang.
 */
export async function serveMinecraftMirror(
  jar: { path: string; sha1: string },
  host = '127.0.0.1',
): Promise<MinecraftMirror> {
  const routes = new Map<string, { type: string; body: Buffer }>()
  const requests: string[] = []
  const server = createServer((req, res) => {
    requests.push(req.url ?? '')
    const route = routes.get(req.url ?? '')
    if (!route) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': route.type, 'content-length': route.body.length })
    res.end(route.body)
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no address')
  const base = `http://${host}:${address.port}`

  const jarPath = `/v1/objects/${jar.sha1}/server.jar`
  routes.set(jarPath, { type: 'application/java-archive', body: await readFile(jar.path) })
  const manifest = JSON.parse(await readFile(join(FIXTURES, 'version_manifest_v2.json'), 'utf8'))
  for (const entry of manifest.versions as { id: string; url: string; sha1: string }[]) {
    let text = await readFile(join(FIXTURES, `${entry.id}.json`), 'utf8')
    if (entry.id === STAND_IN_VERSION) {
      const meta = JSON.parse(text)
      meta.downloads.server = {
        sha1: jar.sha1,
        size: (await stat(jar.path)).size,
        url: `${base}${jarPath}`,
      }
      text = JSON.stringify(meta, null, 2)
    }
    entry.sha1 = sha1(text)
    const path = `/v1/packages/${entry.sha1}/${entry.id}.json`
    entry.url = `${base}${path}`
    routes.set(path, { type: 'application/json', body: Buffer.from(text) })
  }
  const manifestPath = '/mc/game/version_manifest_v2.json'
  routes.set(manifestPath, {
    type: 'application/json',
    body: Buffer.from(JSON.stringify(manifest)),
  })
  return { manifestUrl: `${base}${manifestPath}`, server, requests }
}
