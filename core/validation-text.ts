import type * as z from 'zod'
import type { Lang } from './games/types'

/**
 * Validation messages in plain words, in the dashboard's languages. zod's own messages are written
 * for programmers ("Too big: expected number to be <=131072"); a person filling in a form wants
 * "at most 131,072 MiB". zod's built-in checks (bounds, types, formats, options) are worded here
 * from the issue's data; the messages our schemas give themselves ("must be a single line") are
 * plain already, and `MESSAGES_FR` carries their French.
 */

/** The unit of a numeric field, from its name (`memoryMb`, `diskGb`, `saveIntervalS`). */
export function unitOf(field: string | undefined): string {
  if (!field) return ''
  if (/(Mb|MiB)$/.test(field)) return ' MiB'
  if (/(Gb|GiB)$/.test(field)) return ' GiB'
  if (/Ms$/.test(field)) return ' ms'
  if (/[a-z]S$/.test(field)) return ' s'
  return ''
}

/** zod's default messages all start so; the ones our schemas set start in lower case. */
const ZOD_DEFAULT = /^(Too small|Too big|Invalid |Unrecognized key)/

const WORDS = {
  en: {
    atLeast: (n: string, unit: string) => `at least ${n}${unit}`,
    above: (n: string, unit: string) => `more than ${n}${unit}`,
    atMost: (n: string, unit: string) => `at most ${n}${unit}`,
    below: (n: string, unit: string) => `less than ${n}${unit}`,
    chars: (n: string) => ` character${n === '1' ? '' : 's'}`,
    items: (n: string) => ` item${n === '1' ? '' : 's'}`,
    required: 'required',
    number: 'must be a number',
    integer: 'must be a whole number',
    text: 'must be text',
    yesNo: 'must be yes or no',
    wrong: 'is not valid',
    oneOf: (options: string) => `must be one of: ${options}`,
    url: 'must be a URL such as https://example.com',
    format: 'is not in the expected format',
    multipleOf: (n: string) => `must be a multiple of ${n}`,
    unknown: (keys: string) => `unknown field: ${keys}`,
  },
  fr: {
    atLeast: (n: string, unit: string) => `au moins ${n}${unit}`,
    above: (n: string, unit: string) => `plus de ${n}${unit}`,
    atMost: (n: string, unit: string) => `au plus ${n}${unit}`,
    below: (n: string, unit: string) => `moins de ${n}${unit}`,
    chars: (n: string) => ` caractère${n === '1' ? '' : 's'}`,
    items: (n: string) => ` élément${n === '1' ? '' : 's'}`,
    required: 'obligatoire',
    number: 'doit être un nombre',
    integer: 'doit être un nombre entier',
    text: 'doit être du texte',
    yesNo: 'doit être oui ou non',
    wrong: 'n’est pas valide',
    oneOf: (options: string) => `doit être l’une de ces valeurs : ${options}`,
    url: 'doit être une URL comme https://example.com',
    format: 'n’a pas le format attendu',
    multipleOf: (n: string) => `doit être un multiple de ${n}`,
    unknown: (keys: string) => `champ inconnu : ${keys}`,
  },
} satisfies Record<Lang, unknown>

function formatNumber(n: number | bigint, lang: Lang): string {
  return n.toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-US')
}

/** One issue as a person reads it, in `lang`; `field` (the key) gives numbers their unit. */
export function plainIssue(issue: z.core.$ZodIssue, lang: Lang, field?: string): string {
  if (!ZOD_DEFAULT.test(issue.message)) return translateMessage(issue.message, lang)
  const w = WORDS[lang]
  switch (issue.code) {
    case 'too_small':
    case 'too_big': {
      const limit = issue.code === 'too_small' ? issue.minimum : issue.maximum
      const n = formatNumber(limit, lang)
      const unit =
        issue.origin === 'string'
          ? w.chars(n)
          : issue.origin === 'array' || issue.origin === 'set'
            ? w.items(n)
            : unitOf(field)
      if (issue.code === 'too_small') return issue.inclusive ? w.atLeast(n, unit) : w.above(n, unit)
      return issue.inclusive ? w.atMost(n, unit) : w.below(n, unit)
    }
    case 'invalid_type':
      if (issue.input === undefined || /received undefined/.test(issue.message)) return w.required
      if (issue.expected === 'number' || issue.expected === 'bigint') return w.number
      if (issue.expected === 'int') return w.integer
      if (issue.expected === 'string') return w.text
      if (issue.expected === 'boolean') return w.yesNo
      return w.wrong
    case 'invalid_value':
      return w.oneOf(issue.values.map(String).join(', '))
    case 'invalid_format':
      return issue.format === 'url' ? w.url : w.format
    case 'not_multiple_of':
      return w.multipleOf(formatNumber(Number(issue.divisor), lang))
    case 'unrecognized_keys':
      return w.unknown(issue.keys.join(', '))
    default:
      return w.wrong
  }
}

/** A message our schemas set (or the API returned), in `lang`; English when none is known. */
export function translateMessage(message: string, lang: Lang): string {
  if (lang === 'en') return message
  const exact = MESSAGES_FR[message]
  if (exact !== undefined) return exact
  for (const [pattern, french] of MESSAGE_PATTERNS_FR) {
    if (pattern.test(message)) return message.replace(pattern, french)
  }
  return message
}

/** Messages with a number in them, as `String.replace` patterns. */
const MESSAGE_PATTERNS_FR: readonly (readonly [RegExp, string])[] = [
  [/^the receiver answered HTTP (\d+)$/, 'le destinataire a répondu HTTP $1'],
  [/^the receiver did not answer within (\d+) s$/, 'le destinataire n’a pas répondu en $1 s'],
  [
    /^must be at least (\d+) characters: Valheim refuses to start with a shorter one$/,
    'doit faire au moins $1 caractères : Valheim refuse de démarrer avec un mot de passe plus court',
  ],
  [/^must be at least (\d+) characters$/, 'doit faire au moins $1 caractères'],
  [
    /^"(.*)" is not a Minecraft name: 3 to 16 letters, digits or _$/,
    '« $1 » n’est pas un nom Minecraft : 3 à 16 lettres, chiffres ou _',
  ],
  [/^(.+) is listed twice$/, '$1 figure deux fois'],
  [/^must be at most (\d+) characters$/, 'doit faire au plus $1 caractères'],
]

/**
 * The French of every message the schemas in core/ set themselves. A test scans core/ for such
 * messages and fails on one missing here.
 */
export const MESSAGES_FR: Readonly<Record<string, string>> = {
  // accounts
  'may contain letters, digits, dot, dash, underscore and @ only':
    'ne peut contenir que des lettres, des chiffres, le point, le tiret, le tiret bas et @',
  'is required': 'obligatoire',
  'must be text': 'doit être du texte',
  'must not be empty': 'ne doit pas être vide',
  'may contain letters, digits, spaces, dot, dash and underscore':
    'ne peut contenir que des lettres, des chiffres, des espaces, le point, le tiret et le tiret bas',
  // deployments and VMs
  'must be a lowercase id (letters, digits, -)':
    'doit être un identifiant en minuscules (lettres, chiffres, -)',
  'must be one OpenSSH public key line, e.g. ssh-ed25519 AAAA… user@host':
    'doit être une ligne de clé publique OpenSSH, par exemple ssh-ed25519 AAAA… user@host',
  // Proxmox settings
  'must be an IPv4 address such as 192.168.1.10': 'doit être une adresse IPv4 comme 192.168.1.10',
  'must be an IPv4 CIDR such as 192.168.1.0/24':
    'doit être un réseau IPv4 (CIDR) comme 192.168.1.0/24',
  'must be a SHA-256 fingerprint: 32 hex pairs separated by colons':
    'doit être une empreinte SHA-256 : 32 paires hexadécimales séparées par des deux-points',
  'must be a PEM certificate': 'doit être un certificat PEM',
  'rangeStart must not be after rangeEnd': 'le début de la plage ne doit pas être après sa fin',
  'the range must lie inside the CIDR': 'la plage doit être comprise dans le réseau (CIDR)',
  'must be a URL such as https://pve.lan:8006': 'doit être une URL comme https://pve.lan:8006',
  'must start with https:// (or http:// for a local simulator)':
    'doit commencer par https:// (ou http:// pour un simulateur local)',
  'must look like user@realm!tokenname': 'doit avoir la forme utilisateur@royaume!nomdujeton',
  'must be a Proxmox pool name such as pgd (letters, digits, - and _)':
    'doit être un nom de pool Proxmox comme pgd (lettres, chiffres, - et _)',
  'must be a Proxmox node name': 'doit être un nom de nœud Proxmox',
  'must be a Proxmox storage id such as local-lvm':
    'doit être un identifiant de stockage Proxmox comme local-lvm',
  'must be a backup volume such as local:backup/vzdump-qemu-101-….vma.zst':
    'doit être un volume de sauvegarde comme local:backup/vzdump-qemu-101-….vma.zst',
  'must be a Proxmox storage id such as local':
    'doit être un identifiant de stockage Proxmox comme local',
  'must be a Linux bridge name such as vmbr0': 'doit être un nom de pont Linux comme vmbr0',
  'must be a domain name': 'doit être un nom de domaine',
  'must be a Linux user name such as debian': 'doit être un nom d’utilisateur Linux comme debian',
  // games
  'must be "latest" or a release such as 1.21.5 or 26.1':
    'doit être « latest » ou une version comme 1.21.5 ou 26.1',
  'Minecraft 1.16.5 and older need Java 8, which is not supported: pick 1.17 or newer':
    'Minecraft 1.16.5 et les versions antérieures exigent Java 8, non pris en charge : choisissez la 1.17 ou plus récente',
  'you must accept the Minecraft EULA (https://aka.ms/MinecraftEULA) to deploy':
    'vous devez accepter le CLUF de Minecraft (https://aka.ms/MinecraftEULA) pour déployer',
  'must be a single line': 'doit tenir sur une seule ligne',
  'must not contain "{{", "{%" or "{#"': 'ne doit pas contenir « {{ », « {% » ni « {# »',
  'the RCON port must differ from the game port': 'le port RCON doit différer du port du jeu',
  'the whitelist needs at least one player (or an operator), or nobody can join':
    'la liste blanche doit compter au moins un joueur (ou un opérateur), sinon personne ne peut rejoindre',
  'may hold only letters, digits, - and _ (it names the save files)':
    'ne peut contenir que des lettres, des chiffres, - et _ (il nomme les fichiers de sauvegarde)',
  'must not contain the server name, nor be part of it: Valheim refuses to start':
    'ne doit ni contenir le nom du serveur, ni en faire partie : Valheim refuse de démarrer',
  'must not contain the world name, nor be part of it: Valheim refuses to start':
    'ne doit ni contenir le nom du monde, ni en faire partie : Valheim refuse de démarrer',
  // alert channels (worker/alerts)
  'this is not a web address (it should start with https://)':
    'ce n’est pas une adresse web (elle doit commencer par https://)',
  'the address must not contain a user name or password':
    'l’adresse ne doit contenir ni nom d’utilisateur ni mot de passe',
  'the address must start with https://': 'l’adresse doit commencer par https://',
  'a Discord webhook address looks like https://discord.com/api/webhooks/<id>/<token>':
    'une adresse de webhook Discord a la forme https://discord.com/api/webhooks/<id>/<jeton>',
  'the address must be a public host, not a private or loopback address':
    'l’adresse doit être un hôte public, pas une adresse privée ou locale',
  'a Discord channel has no signing secret (Discord checks its own token)':
    'un canal Discord n’a pas de secret de signature (Discord vérifie son propre jeton)',
  'the receiver could not be reached': 'le destinataire est injoignable',
  'the address could not be opened with the encryption keys set':
    'l’adresse n’a pas pu être déchiffrée avec les clés de chiffrement en place',
}
