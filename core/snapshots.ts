import * as z from 'zod'

/**
 * A deployment's VM snapshots as the dashboard lists them: the ones a change takes (named
 * `pgd-change-…`, described by what it changed) and any taken by hand in Proxmox.
 */

/** How many of the product's snapshots a VM keeps; older ones are deleted after a change. */
export const SNAPSHOT_CAP = 3

/** Prefix of the snapshots this product takes, so it never touches anyone else's. */
export const SNAPSHOT_PREFIX = 'pgd-'

/** A Proxmox snapshot name (`pve-configid`): a letter, then letters, digits, `_` or `-`. */
export const SnapshotName = z
  .string()
  .max(40, 'A snapshot name has at most 40 characters.')
  .regex(
    /^[A-Za-z][A-Za-z0-9_-]*$/,
    'A snapshot name starts with a letter and has only letters, digits, "_" and "-".',
  )

export const SnapshotEntry = z.object({
  name: SnapshotName,
  /** Epoch seconds; 0 when Proxmox gave none. */
  snaptime: z.number().int().nonnegative(),
  description: z.string().max(8_192),
  /** The snapshot this one was taken after, or null for the first. */
  parent: z.string().max(64).nullable(),
  /** Taken by this product (a change), so counted against the cap and pruned beyond it. */
  ours: z.boolean(),
})
export type SnapshotEntry = z.infer<typeof SnapshotEntry>

/** Whether the product took this snapshot (and may prune it). */
export function isProductSnapshot(name: string): boolean {
  return name.startsWith(SNAPSHOT_PREFIX)
}

/** A change as the snapshot taken before it names it: the fields it moved (core/change-plan). */
export interface SnapshotChange {
  key: string
  from: string
  to: string
  secret: boolean
}

/** A snapshot as the API lists it: with the change it came before, when the product knows it. */
export type SnapshotView = SnapshotEntry & { changes: SnapshotChange[] | null }
