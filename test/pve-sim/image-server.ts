import { createHash, randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { imageFileName, type DebianRelease } from '../../core/template'

/**
 * A stand-in for https://cloud.debian.org/images/cloud/ on 127.0.0.1: per release, a small
 * random "image" and the SHA512SUMS that lists it, under `/<release>/`. The template job's mirror
 * URL points here, and the simulator's download-url fetches from it (tests talk only to
 * 127.0.0.0/8).
 */
export interface ImageMirror {
  /** The folder URL for a release, as the admin would type it as a mirror. */
  base(release: DebianRelease): string
  /** The image bytes of a release and their SHA-512. */
  image(release: DebianRelease): { bytes: Buffer; sha512: string }
  /** Publish a checksum that does not match the image (`null`: the right one again). */
  setPublishedSum(release: DebianRelease, sha512: string | null): void
  /** How many times each path was fetched. */
  readonly hits: Map<string, number>
  close(): Promise<void>
}

export async function serveImageMirror(): Promise<ImageMirror> {
  const images = new Map<DebianRelease, { bytes: Buffer; sha512: string; published: string }>()
  for (const release of ['12', '13'] as const) {
    const bytes = Buffer.concat([Buffer.from('QFI\xfb'), randomBytes(64 * 1024)])
    const sha512 = createHash('sha512').update(bytes).digest('hex')
    images.set(release, { bytes, sha512, published: sha512 })
  }
  const hits = new Map<string, number>()
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://mirror').pathname
    hits.set(path, (hits.get(path) ?? 0) + 1)
    const m = /^\/(12|13)\/(SHA512SUMS|[\w.-]+)$/.exec(path)
    const img = m ? images.get(m[1] as DebianRelease) : undefined
    if (!m || !img) {
      res.writeHead(404).end('not found')
      return
    }
    const release = m[1] as DebianRelease
    if (m[2] === 'SHA512SUMS') {
      const other = createHash('sha512').update('another image').digest('hex')
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.end(
        `${other}  debian-${release}-nocloud-amd64.qcow2\n${img.published}  ${imageFileName(release)}\n`,
      )
    } else if (m[2] === imageFileName(release)) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(img.bytes)
    } else res.writeHead(404).end('not found')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    base: (release) => `http://127.0.0.1:${port}/${release}/`,
    image: (release) => {
      const img = images.get(release)
      if (!img) throw new Error(`no image for ${release}`)
      return { bytes: img.bytes, sha512: img.sha512 }
    },
    setPublishedSum: (release, sha512) => {
      const img = images.get(release)
      if (img) img.published = sha512 ?? img.sha512
    },
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
