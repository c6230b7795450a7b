import type { Lang } from './games/types'
import type { NodeCapacity } from './protocol/runner-control'

/**
 * Whether a new VM fits on the node and storage it would go on, from the figures a runner read
 * from Proxmox. The worker refuses a VM that does not fit, and the form says it before the click,
 * both with the same words and numbers.
 */

const MIB = 1024 ** 2
const GIB = 1024 ** 3

/** What does not fit: what the VM needs and what is free, in MiB (memory) or GiB (disk). */
export type Shortfall =
  | { kind: 'memory'; node: string; needMiB: number; freeMiB: number }
  | { kind: 'disk'; storage: string; needGiB: number; freeGiB: number }

/** The node's free memory in MiB and the storage's free space in GiB, rounded down. */
export function freeFigures(c: NodeCapacity): {
  memoryFreeMiB: number
  memoryTotalMiB: number
  diskFreeGiB: number
  diskTotalGiB: number
} {
  return {
    memoryFreeMiB: Math.floor(c.memory.free / MIB),
    memoryTotalMiB: Math.floor(c.memory.total / MIB),
    diskFreeGiB: Math.floor(c.storage.avail / GIB),
    diskTotalGiB: Math.floor(c.storage.total / GIB),
  }
}

/** Every way a VM of `memoryMb` MiB and `diskGb` GiB does not fit; empty when it fits. */
export function shortfalls(c: NodeCapacity, vm: { memoryMb: number; diskGb: number }): Shortfall[] {
  const out: Shortfall[] = []
  if (vm.memoryMb * MIB > c.memory.free) {
    out.push({
      kind: 'memory',
      node: c.node,
      needMiB: vm.memoryMb,
      freeMiB: Math.floor(c.memory.free / MIB),
    })
  }
  if (vm.diskGb * GIB > c.storage.avail) {
    out.push({
      kind: 'disk',
      storage: c.storage.id,
      needGiB: vm.diskGb,
      freeGiB: Math.floor(c.storage.avail / GIB),
    })
  }
  return out
}

function n(value: number, lang: Lang): string {
  return value.toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-US')
}

/** One shortfall as a sentence, e.g. "This VM needs 8,192 MiB of memory; node pve1 has 3,120 MiB free." */
export function shortfallText(s: Shortfall, lang: Lang): string {
  if (s.kind === 'memory') {
    return lang === 'fr'
      ? `Cette VM demande ${n(s.needMiB, lang)} Mio de mémoire ; le nœud ${s.node} n’en a que ${n(s.freeMiB, lang)} Mio de libre.`
      : `This VM needs ${n(s.needMiB, lang)} MiB of memory; node ${s.node} has ${n(s.freeMiB, lang)} MiB free.`
  }
  return lang === 'fr'
    ? `Cette VM demande ${n(s.needGiB, lang)} Gio de disque ; le stockage ${s.storage} n’en a que ${n(s.freeGiB, lang)} Gio de libre.`
    : `This VM needs ${n(s.needGiB, lang)} GiB of disk; storage ${s.storage} has ${n(s.freeGiB, lang)} GiB free.`
}
