import { useSyncExternalStore } from 'react'
import type { Lang } from '../../../core/games/types'
import type { Dict } from './en'

/**
 * English and French (the product's original design is French). The language follows the
 * browser and can be switched; the choice is remembered. The theme (light, dark, or the
 * system's) lives here too: both are small preferences kept in localStorage.
 */
// The languages come from the game catalogue's contract: every game brings its form texts in each.
export type { Lang }
export type Theme = 'system' | 'light' | 'dark'
/**
 * Each language's words are a chunk of their own, loaded when first needed: a visitor downloads
 * one dictionary, not both (the build's size report counts the larger one as initial JS).
 */
const LOADERS: Record<Lang, () => Promise<Dict>> = {
  en: () => import('./en').then((m) => m.en),
  fr: () => import('./fr').then((m) => m.fr),
}
const DICTS: Partial<Record<Lang, Dict>> = {}
async function load(l: Lang): Promise<Dict> {
  return (DICTS[l] ??= await LOADERS[l]())
}
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

/** Switches the language once its words are loaded (the page keeps the old ones meanwhile). */
export async function setLang(next: Lang): Promise<void> {
  localStorage.setItem(LANG_KEY, next)
  await load(next)
  lang = next
  apply()
}

/** The saved or browser language's words, loaded before the first render (main.tsx waits). */
export async function loadLanguage(): Promise<void> {
  await load(lang)
}

export function setTheme(next: Theme): void {
  theme = next
  localStorage.setItem(THEME_KEY, next)
  apply()
}

/** The active dictionary; re-renders the caller when the language changes. */
export function useT(): Dict & { lang: Lang } {
  const current = useSyncExternalStore(subscribe, () => lang)
  const dict = DICTS[current]
  if (!dict) throw new Error('useT before loadLanguage(): main.tsx renders once it resolved')
  return { ...dict, lang: current }
}

export function useTheme(): Theme {
  return useSyncExternalStore(subscribe, () => theme)
}

apply()
