import { useSyncExternalStore } from 'react'
import type { Lang } from '../../../core/games/types'
import { en, type Dict } from './en'
import { fr } from './fr'

/**
 * English and French (the product's original design is French). The language follows the
 * browser and can be switched; the choice is remembered. The theme (light, dark, or the
 * system's) lives here too: both are small preferences kept in localStorage.
 */
// The languages come from the game catalogue's contract: every game brings its form texts in each.
export type { Lang }
export type Theme = 'system' | 'light' | 'dark'
const DICTS: Record<Lang, Dict> = { en, fr }
const LANG_KEY = 'pgd.lang'
const THEME_KEY = 'pgd.theme'

function initialLang(): Lang {
  const saved = localStorage.getItem(LANG_KEY)
  if (saved === 'en' || saved === 'fr') return saved
  return navigator.language.toLowerCase().startsWith('fr') ? 'fr' : 'en'
}

function initialTheme(): Theme {
  const saved = localStorage.getItem(THEME_KEY)
  return saved === 'light' || saved === 'dark' ? saved : 'system'
}

let lang: Lang = initialLang()
let theme: Theme = initialTheme()
const listeners = new Set<() => void>()
const subscribe = (cb: () => void) => {
  listeners.add(cb)
  return () => listeners.delete(cb)
}

function apply() {
  document.documentElement.lang = lang
  if (theme === 'system') delete document.documentElement.dataset.theme
  else document.documentElement.dataset.theme = theme
  for (const l of listeners) l()
}

export function setLang(next: Lang): void {
  lang = next
  localStorage.setItem(LANG_KEY, next)
  apply()
}

export function setTheme(next: Theme): void {
  theme = next
  localStorage.setItem(THEME_KEY, next)
  apply()
}

/** The active dictionary; re-renders the caller when the language changes. */
export function useT(): Dict & { lang: Lang } {
  const current = useSyncExternalStore(subscribe, () => lang)
  return { ...DICTS[current], lang: current }
}

export function useTheme(): Theme {
  return useSyncExternalStore(subscribe, () => theme)
}

apply()
