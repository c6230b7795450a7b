import { VM_FIELD_LABELS } from './common-texts'
import type { GameTextsFor, Lang } from './types'
import {
  VALHEIM_MIN_MEMORY_MB,
  VALHEIM_MIN_PASSWORD_LENGTH,
  type ValheimConfig,
} from './valheim-config'

/**
 * What the Valheim form shows, in English and French: a label and a help text per config field,
 * a label per option. The rules they state are the ones `ValheimConfig` enforces and the role's
 * preflight checks again (ansible/roles/valheim/tasks/preflight.yml).
 */

const MIN = VALHEIM_MIN_PASSWORD_LENGTH

export const VALHEIM_TEXTS = {
  en: {
    summary:
      'Dedicated server from Steam (SteamCMD), password-protected, firewalled, run by systemd',
    join: [
      'Start Valheim, pick your character and choose Start.',
      'Choose Join Game, then Join IP, and type {address}.',
      'Type the server password when Valheim asks for it (the admin gives it to you).',
    ],
    fields: {
      serverName: { label: 'Server name', help: 'Name shown in the server browser' },
      worldName: {
        label: 'World name',
        help: 'World to create, or to load if it exists: it names the save files (letters, digits, - and _)',
      },
      password: {
        label: 'Server password',
        help: `What players type to join: at least ${MIN} characters, and it must neither contain nor be part of the server name or the world name (whatever the case), or Valheim refuses to start`,
      },
      public: {
        label: 'Public server',
        help: 'List the server in the in-game community browser; otherwise players join by its address',
      },
      memoryMb: {
        label: VM_FIELD_LABELS.en.memoryMb,
        help: `VM memory in MiB: ${VALHEIM_MIN_MEMORY_MB} at least, 6144 or more for many players or a big world`,
      },
      cores: {
        label: VM_FIELD_LABELS.en.cores,
        help: 'Virtual CPU cores, 2 at least: world generation is CPU-heavy',
      },
      diskGb: {
        label: VM_FIELD_LABELS.en.diskGb,
        help: 'Disk size in GiB, 12 at least (the server takes about 1.5 GiB; worlds and backups grow)',
      },
      gamePort: {
        label: 'Game port',
        help: 'UDP port players connect to; the server also answers Steam queries on the next one, and the firewall opens both',
      },
      saveIntervalS: {
        label: 'Save interval (s)',
        help: 'Seconds between world saves (Valheim’s default: 1800, every half hour)',
      },
      backups: { label: 'Backups kept', help: 'World backups to keep (Valheim’s default: 4)' },
      preset: {
        label: 'World preset',
        help: 'Difficulty preset of the world; “Normal” is the game as designed. The modifiers under “Advanced settings” override it',
      },
      combat: { label: 'Combat', help: 'Combat modifier: enemy damage and health' },
      deathPenalty: {
        label: 'Death penalty',
        help: 'Death penalty modifier: what players lose when they die',
      },
      resources: { label: 'Resources', help: 'Resources modifier: how much gathering yields' },
      raids: { label: 'Raids', help: 'Raids modifier: how often bases are attacked' },
      portals: {
        label: 'Portals',
        help: 'Portals modifier: what may go through portals (“Very hard” turns them off)',
      },
    },
    options: {
      preset: {
        normal: 'Normal',
        casual: 'Casual',
        easy: 'Easy',
        hard: 'Hard',
        hardcore: 'Hardcore',
        immersive: 'Immersive',
        hammer: 'Hammer',
      },
      combat: {
        veryeasy: 'Very easy',
        easy: 'Easy',
        normal: 'Normal',
        hard: 'Hard',
        veryhard: 'Very hard',
      },
      deathPenalty: {
        casual: 'Casual',
        veryeasy: 'Very easy',
        easy: 'Easy',
        normal: 'Normal',
        hard: 'Hard',
        hardcore: 'Hardcore',
      },
      resources: {
        muchless: 'Much less',
        less: 'Less',
        normal: 'Normal',
        more: 'More',
        muchmore: 'Much more',
        most: 'Most',
      },
      raids: {
        none: 'None',
        muchless: 'Much less often',
        less: 'Less often',
        normal: 'Normal',
        more: 'More often',
        muchmore: 'Much more often',
      },
      portals: {
        casual: 'Casual',
        normal: 'Normal',
        hard: 'Hard',
        veryhard: 'Very hard (no portals)',
      },
    },
  },
  fr: {
    summary:
      'Serveur dédié installé depuis Steam (SteamCMD), protégé par mot de passe, derrière un pare-feu, géré par systemd',
    join: [
      'Lancez Valheim, choisissez votre personnage puis Démarrer.',
      'Choisissez Rejoindre une partie, puis Rejoindre une IP, et saisissez {address}.',
      'Saisissez le mot de passe du serveur quand Valheim le demande (l’administrateur vous le donne).',
    ],
    fields: {
      serverName: {
        label: 'Nom du serveur',
        help: 'Nom affiché dans le navigateur de serveurs du jeu',
      },
      worldName: {
        label: 'Nom du monde',
        help: 'Monde à créer, ou à charger s’il existe : il donne son nom aux fichiers de sauvegarde (lettres, chiffres, - et _)',
      },
      password: {
        label: 'Mot de passe du serveur',
        help: `Ce que les joueurs saisissent pour se connecter : au moins ${MIN} caractères, sans contenir le nom du serveur ni celui du monde, ni en faire partie (majuscules ou non), sinon Valheim refuse de démarrer`,
      },
      public: {
        label: 'Serveur public',
        help: 'Affiche le serveur dans le navigateur communautaire du jeu ; sinon, les joueurs le rejoignent par son adresse',
      },
      memoryMb: {
        label: VM_FIELD_LABELS.fr.memoryMb,
        help: `Mémoire de la VM en Mio : ${VALHEIM_MIN_MEMORY_MB} au minimum, 6144 ou plus pour de nombreux joueurs ou un grand monde`,
      },
      cores: {
        label: VM_FIELD_LABELS.fr.cores,
        help: 'Cœurs de processeur virtuels, 2 au minimum : la génération du monde sollicite beaucoup le processeur',
      },
      diskGb: {
        label: VM_FIELD_LABELS.fr.diskGb,
        help: 'Taille du disque en Gio, 12 au minimum (le serveur occupe environ 1,5 Gio ; les mondes et les sauvegardes grossissent)',
      },
      gamePort: {
        label: 'Port du jeu',
        help: 'Port UDP auquel les joueurs se connectent ; le serveur répond aussi aux requêtes Steam sur le port suivant, et le pare-feu ouvre les deux',
      },
      saveIntervalS: {
        label: 'Intervalle de sauvegarde (s)',
        help: 'Secondes entre deux sauvegardes du monde (par défaut dans Valheim : 1800, soit toutes les demi-heures)',
      },
      backups: {
        label: 'Sauvegardes conservées',
        help: 'Nombre de sauvegardes du monde à conserver (par défaut dans Valheim : 4)',
      },
      preset: {
        label: 'Préréglage du monde',
        help: 'Préréglage de difficulté du monde ; « Normal » correspond au jeu tel qu’il a été conçu. Les modificateurs des paramètres avancés priment sur lui',
      },
      combat: { label: 'Combat', help: 'Modificateur de combat : dégâts et santé des ennemis' },
      deathPenalty: {
        label: 'Pénalité de mort',
        help: 'Modificateur de pénalité de mort : ce que les joueurs perdent en mourant',
      },
      resources: {
        label: 'Ressources',
        help: 'Modificateur de ressources : quantité obtenue en récoltant',
      },
      raids: {
        label: 'Raids',
        help: 'Modificateur de raids : fréquence des attaques contre les bases',
      },
      portals: {
        label: 'Portails',
        help: 'Modificateur de portails : ce qui peut les traverser (« Très difficiles » les désactive)',
      },
    },
    // Options agree with their field's label: « Pénalité de mort : Normale », « Ressources :
    // Normales ». The reason these live per game and per field, not in one shared table.
    options: {
      preset: {
        normal: 'Normal',
        casual: 'Détente',
        easy: 'Facile',
        hard: 'Difficile',
        hardcore: 'Hardcore',
        immersive: 'Immersif',
        hammer: 'Marteau',
      },
      combat: {
        veryeasy: 'Très facile',
        easy: 'Facile',
        normal: 'Normal',
        hard: 'Difficile',
        veryhard: 'Très difficile',
      },
      deathPenalty: {
        casual: 'Détente',
        veryeasy: 'Très faible',
        easy: 'Faible',
        normal: 'Normale',
        hard: 'Lourde',
        hardcore: 'Hardcore',
      },
      resources: {
        muchless: 'Beaucoup moins',
        less: 'Moins',
        normal: 'Normales',
        more: 'Plus',
        muchmore: 'Beaucoup plus',
        most: 'Maximum',
      },
      raids: {
        none: 'Aucun',
        muchless: 'Beaucoup moins fréquents',
        less: 'Moins fréquents',
        normal: 'Normaux',
        more: 'Plus fréquents',
        muchmore: 'Beaucoup plus fréquents',
      },
      portals: {
        casual: 'Détente',
        normal: 'Normaux',
        hard: 'Difficiles',
        veryhard: 'Très difficiles (aucun portail)',
      },
    },
  },
} as const satisfies Record<Lang, GameTextsFor<typeof ValheimConfig>>
