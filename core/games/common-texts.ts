import type { Lang } from './types'

/**
 * Labels for the VM sizing fields every game has so far (`memoryMb`, `cores`, `diskGb`), worded
 * once so the forms of two games read alike. Only the labels: the help texts name each game's
 * own bounds and needs, so they stay in the game's texts.
 */
export const VM_FIELD_LABELS = {
  en: { memoryMb: 'Memory (MiB)', cores: 'CPU cores', diskGb: 'Disk (GiB)' },
  fr: { memoryMb: 'Mémoire (Mio)', cores: 'Cœurs CPU', diskGb: 'Disque (Gio)' },
} as const satisfies Record<Lang, Record<'memoryMb' | 'cores' | 'diskGb', string>>
