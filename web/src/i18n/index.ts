import { useSyncExternalStore } from 'react'

/**
 * English and French (the product's original design is French). The language follows the
 * browser and can be switched; the choice is remembered.
 */
const en = {
  appName: 'Proxmox Game Deployer',
  loading: 'Loading…',
  signIn: 'Sign in',
  signOut: 'Sign out',
  username: 'Username',
  password: 'Password',
  passwordHint: 'At least 12 characters.',
  setupTitle: 'Welcome — create the admin account',
  setupIntro:
    'This is the first visit: create the account that manages this dashboard. Setup can only be done once.',
  createAdmin: 'Create admin account',
  loginTitle: 'Sign in',
  sessionExpired: 'Your session has ended. Sign in again to continue.',
  navSettings: 'Settings',
  navAudit: 'Audit log',
  save: 'Save',
  saved: 'Saved.',
  language: 'Language',
  proxmoxTitle: 'Proxmox connection',
  proxmoxIntro:
    'Where and how new game server VMs are created. The runner inside your network uses these; the token secret is stored encrypted and never shown again.',
  secretSet: 'A secret is stored. Leave empty to keep it.',
  auditTitle: 'Audit log',
  auditEmpty: 'Nothing recorded yet.',
  when: 'When',
  who: 'Who',
  action: 'Action',
  target: 'Target',
  from: 'From',
  loadMore: 'Load older entries',
  fixFields: 'Some fields need attention.',
}

type Dict = typeof en

const fr: Dict = {
  appName: 'Proxmox Game Deployer',
  loading: 'Chargement…',
  signIn: 'Se connecter',
  signOut: 'Se déconnecter',
  username: "Nom d'utilisateur",
  password: 'Mot de passe',
  passwordHint: 'Au moins 12 caractères.',
  setupTitle: 'Bienvenue — créez le compte administrateur',
  setupIntro:
    'Première visite : créez le compte qui gère ce tableau de bord. Cette étape ne peut être faite qu’une fois.',
  createAdmin: 'Créer le compte administrateur',
  loginTitle: 'Connexion',
  sessionExpired: 'Votre session a expiré. Reconnectez-vous pour continuer.',
  navSettings: 'Paramètres',
  navAudit: 'Journal d’audit',
  save: 'Enregistrer',
  saved: 'Enregistré.',
  language: 'Langue',
  proxmoxTitle: 'Connexion Proxmox',
  proxmoxIntro:
    'Où et comment les VM des serveurs de jeu sont créées. Le runner dans votre réseau les utilise ; le secret du jeton est chiffré et n’est plus jamais affiché.',
  secretSet: 'Un secret est enregistré. Laissez vide pour le conserver.',
  auditTitle: 'Journal d’audit',
  auditEmpty: 'Rien pour l’instant.',
  when: 'Quand',
  who: 'Qui',
  action: 'Action',
  target: 'Cible',
  from: 'Depuis',
  loadMore: 'Entrées plus anciennes',
  fixFields: 'Certains champs sont à corriger.',
}

export type Lang = 'en' | 'fr'
const DICTS: Record<Lang, Dict> = { en, fr }
const STORAGE_KEY = 'pgd.lang'

function initialLang(): Lang {
  const saved = localStorage.getItem(STORAGE_KEY)
  if (saved === 'en' || saved === 'fr') return saved
  return navigator.language.toLowerCase().startsWith('fr') ? 'fr' : 'en'
}

let current: Lang = initialLang()
const listeners = new Set<() => void>()

export function setLang(lang: Lang): void {
  current = lang
  localStorage.setItem(STORAGE_KEY, lang)
  document.documentElement.lang = lang
  for (const l of listeners) l()
}

/** The active dictionary; re-renders the caller when the language changes. */
export function useT(): Dict & { lang: Lang } {
  const lang = useSyncExternalStore(
    (cb) => {
      listeners.add(cb)
      return () => listeners.delete(cb)
    },
    () => current,
  )
  return { ...DICTS[lang], lang }
}

document.documentElement.lang = current
