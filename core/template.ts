import * as z from 'zod'

/**
 * The template job: the product builds the cloud-init template every deployment clones, from an
 * official Debian cloud image (https://cloud.debian.org/images/cloud/). The job runs on a runner
 * like a deployment, in a deployment record of its own (game {@link TEMPLATE_GAME}) that the game
 * list hides, so it gets the same steps, live log, retry and resume.
 */

/** The Debian releases offered, by major version, with their codenames. */
export const DEBIAN_RELEASES = { '12': 'bookworm', '13': 'trixie' } as const
export const DebianRelease = z.enum(['12', '13'])
export type DebianRelease = z.infer<typeof DebianRelease>

/** The `game` of a template job's deployment record: never a game, never in the game list. */
export const TEMPLATE_GAME = 'debian-template'

export { TEMPLATE_TAG } from './vm-tags'

/** Where Debian publishes the image and its SHA512SUMS, per release. */
export function officialImageBase(release: DebianRelease): string {
  return `https://cloud.debian.org/images/cloud/${DEBIAN_RELEASES[release]}/latest/`
}

/** The image the template is made from: the generic cloud image (cloud-init, all drivers). */
export function imageFileName(release: DebianRelease): string {
  return `debian-${release}-genericcloud-amd64.qcow2`
}

/** The template VM's name; with {@link TEMPLATE_TAG} it is how the job recognises its own VM. */
export function templateVmName(release: DebianRelease): string {
  return `pgd-debian-${release}-template`
}

/**
 * The admin's choice. `mirrorUrl`: a folder that holds the same files as Debian's (`SHA512SUMS`
 * and the image), for a node without access to cloud.debian.org. `imageStorage`: a file storage
 * with the `import` content type, where Proxmox keeps the downloaded image.
 */
export const TemplateRequest = z.object({
  release: DebianRelease,
  mirrorUrl: z
    .string()
    .trim()
    .max(2_048)
    .refine(
      (u) => u === '' || /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~%/+-]*)?$/.test(u),
      'must be an http:// or https:// URL of the folder holding SHA512SUMS and the image',
    )
    .transform((u) => (u === '' ? undefined : u.endsWith('/') ? u : `${u}/`))
    .optional(),
  imageStorage: z
    .string()
    .trim()
    .regex(/^[a-zA-Z][a-zA-Z0-9_.-]*$/, 'must be a Proxmox storage id such as local')
    .default('local'),
})
export type TemplateRequest = z.infer<typeof TemplateRequest>

/** The folder the image and SHA512SUMS are read from. */
export function imageBase(req: Pick<TemplateRequest, 'release' | 'mirrorUrl'>): string {
  return req.mirrorUrl ?? officialImageBase(req.release)
}

/** The SHA-512 of `file` in a `SHA512SUMS` text (`<hex>  <name>` lines), or null. */
export function sha512Of(sums: string, file: string): string | null {
  for (const line of sums.split('\n')) {
    const m = /^([0-9a-fA-F]{128})\s+\*?(\S+)\s*$/.exec(line.trim())
    if (m?.[2] === file) return (m[1] ?? '').toLowerCase()
  }
  return null
}

/**
 * The name the image is stored under on the node: with the start of its checksum, so a newer
 * `latest` image is a new file, and a file of that name is already the right one.
 */
export function storedImageName(release: DebianRelease, sha512: string): string {
  return `debian-${release}-genericcloud-amd64-${sha512.slice(0, 12)}.qcow2`
}
