import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, readFile, rm } from 'node:fs/promises'
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
  const sha1 = createHash('sha1')
    .update(await readFile(jar))
    .digest('hex')
  return { path: jar, sha1 }
}

/** Serves one file at `/server.jar` on a loopback address; the playbook's controller fetches it. */
export async function serveJar(
  path: string,
  host = '127.0.0.1',
): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.url !== '/server.jar') {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': 'application/java-archive' })
    createReadStream(path).pipe(res)
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no address')
  return { url: `http://${host}:${address.port}/server.jar`, server }
}
