import * as z from 'zod'

/**
 * A deployment's backups are Proxmox vzdump archives on the backup storage. Which deployment and
 * job made one is written into its notes (the first line, the one Proxmox lists), so the product
 * lists, keeps and deletes only its own archives, never others on the same storage, and a
 * resumed backup job finds the archive it already made.
 */

export const BackupKind = z.enum(['manual', 'scheduled', 'safety'])
export type BackupKind = z.infer<typeof BackupKind>

/** What the product knows of a backup from its notes. */
export interface BackupTag {
  deploymentId: string
  jobId: string
  kind: BackupKind
  game: string
  gameVersion: string | null
}

const MARK = 'pgd'
/** Ids, game ids and versions are single words of these characters. */
const WORD = /^[A-Za-z0-9._:+-]{1,64}$/

/**
 * The notes line of a backup: `pgd <deployment> <job> <kind> <game> <version|-> — <name>`. The
 * name is the deployment's (letters, digits, spaces, `._-`: nothing vzdump's notes template
 * expands); only the words before it are read back.
 */
export function backupNotes(tag: BackupTag, name: string): string {
  const words = [tag.deploymentId, tag.jobId, tag.kind, tag.game, tag.gameVersion ?? '-']
  for (const w of words) if (!WORD.test(w)) throw new Error(`not a backup note word: ${w}`)
  const safeName = name.replace(/[^\p{L}\p{N} ._-]/gu, '').slice(0, 63)
  return `${MARK} ${words.join(' ')} — ${safeName}`
}

/** The tag in a backup's notes, or null for an archive this product did not make. */
export function parseBackupNotes(notes: string | undefined | null): BackupTag | null {
  if (!notes) return null
  const [mark, deploymentId, jobId, kind, game, version] = notes.split(' ')
  if (mark !== MARK) return null
  const parsedKind = BackupKind.safeParse(kind)
  if (!deploymentId || !jobId || !game || !version || !parsedKind.success) return null
  if (![deploymentId, jobId, game, version].every((w) => WORD.test(w))) return null
  return {
    deploymentId,
    jobId,
    kind: parsedKind.data,
    game,
    gameVersion: version === '-' ? null : version,
  }
}

/** One backup as the dashboard lists it. */
export const BackupEntry = z.object({
  /** Proxmox's volume id, e.g. `local:backup/vzdump-qemu-101-2026_12_03-04_00_00.vma.zst`. */
  volid: z.string().min(1).max(512),
  /** Creation time, epoch ms. */
  createdAt: z.number(),
  size: z.number().int().min(0),
  kind: BackupKind,
  gameVersion: z.string().nullable(),
  protected: z.boolean(),
})
export type BackupEntry = z.infer<typeof BackupEntry>

/**
 * A volume id of a backup archive: `<storage>:backup/<file>` (a directory storage) or
 * `<storage>:backup/vm/<vmid>/<time>` (Proxmox Backup Server); nothing that climbs a path.
 */
export const BackupVolid = z
  .string()
  .max(512)
  .regex(
    /^(?!.*\.\.)[a-zA-Z][a-zA-Z0-9_.-]*:backup\/[A-Za-z0-9_.:/-]+$/,
    'must be a backup volume such as local:backup/vzdump-qemu-101-….vma.zst',
  )
