import { VM_FIELD_LABELS } from './common-texts'
import { MINECRAFT_MIN_MEMORY_MB, type MinecraftConfig } from './minecraft-config'
import type { GameTextsFor, Lang } from './types'

/**
 * What the Minecraft form shows, in English and French: a label and a help text per config
 * field, a label per option. Facts from docs/minecraft.md (#keys-we-set for the
 * server.properties keys, #jvm-heap-and-flags for the heap).
 */
export const MINECRAFT_TEXTS = {
  en: {
    summary: 'Vanilla or Paper server, Java chosen by version, firewalled, run by systemd',
    join: [
      'Start Minecraft: Java Edition (the same version as the server) and choose Multiplayer.',
      'Choose Add Server, and type {address} as the Server Address.',
      'Choose Done, then double-click the server in the list to join.',
    ],
    fields: {
      edition: {
        label: 'Edition',
        help: 'Server software: vanilla (Mojang) or Paper (faster, supports plugins)',
      },
      version: {
        label: 'Version',
        help: 'The newest release, or a pinned one such as 1.21.5 or 26.1; 1.17 at the oldest (older versions need Java 8, which is not supported)',
      },
      eula: {
        label: 'EULA',
        help: 'I accept the Minecraft End User License Agreement (https://aka.ms/MinecraftEULA)',
      },
      memoryMb: {
        label: VM_FIELD_LABELS.en.memoryMb,
        help: `VM memory in MiB, ${MINECRAFT_MIN_MEMORY_MB} at least; Java gets all of it but a quarter (768 to 1536 MiB) left to the system`,
      },
      cores: { label: VM_FIELD_LABELS.en.cores, help: 'Virtual CPU cores' },
      diskGb: { label: VM_FIELD_LABELS.en.diskGb, help: 'Disk size in GiB (8 at least)' },
      motd: {
        label: 'Message of the day',
        help: 'One line shown under the server in the multiplayer server list',
      },
      maxPlayers: { label: 'Max players', help: 'Most players online at the same time' },
      difficulty: { label: 'Difficulty', help: 'World difficulty' },
      gamemode: { label: 'Game mode', help: 'Game mode of players joining for the first time' },
      onlineMode: {
        label: 'Online mode',
        help: 'Check each player’s Minecraft account when they join; turn off only behind a trusted proxy',
      },
      whiteList: {
        label: 'Whitelist',
        help: 'Only the players listed below (and the operators) may join',
      },
      whitelistPlayers: {
        label: 'Players on the whitelist',
        help: 'Their Minecraft names, one per line or separated by commas (3 to 16 letters, digits or _)',
      },
      operators: {
        label: 'Operators',
        help: 'Players who may use every server command (op level 4); they can always join',
      },
      pvp: { label: 'PvP', help: 'Players can hurt each other' },
      viewDistance: {
        label: 'View distance',
        help: 'How far players see, in chunks around them (3–32)',
      },
      simulationDistance: {
        label: 'Simulation distance',
        help: 'How far around players the world keeps running (crops grow, mobs move), in chunks (3–32)',
      },
      levelSeed: {
        label: 'World seed',
        help: 'Seed the world is generated from; leave empty for a random world',
      },
      serverPort: {
        label: 'Game port',
        help: 'TCP port players connect to; the server list ping answers on it too',
      },
      spawnProtection: {
        label: 'Spawn protection',
        help: 'Radius in blocks around the spawn point where only operators can build (0 turns it off); it only applies once the server has an operator',
      },
      rconEnabled: {
        label: 'RCON',
        help: 'Enable the RCON remote console, reachable from the runner only (a password is generated)',
      },
      rconPort: { label: 'RCON port', help: 'TCP port of the RCON console; not the game port' },
    },
    options: {
      edition: { vanilla: 'Vanilla', paper: 'Paper' },
      difficulty: { peaceful: 'Peaceful', easy: 'Easy', normal: 'Normal', hard: 'Hard' },
      gamemode: {
        survival: 'Survival',
        creative: 'Creative',
        adventure: 'Adventure',
        spectator: 'Spectator',
      },
    },
  },
  fr: {
    summary:
      'Serveur vanilla ou Paper, Java choisi selon la version, derrière un pare-feu, géré par systemd',
    join: [
      'Lancez Minecraft : Java Edition (la même version que le serveur) et choisissez Multijoueur.',
      'Choisissez Ajouter un serveur, et saisissez {address} comme adresse du serveur.',
      'Choisissez Terminé, puis double-cliquez sur le serveur dans la liste pour le rejoindre.',
    ],
    fields: {
      edition: {
        label: 'Édition',
        help: 'Logiciel serveur : vanilla (Mojang) ou Paper (plus rapide, accepte les plugins)',
      },
      version: {
        label: 'Version',
        help: 'La version la plus récente, ou une version fixée comme 1.21.5 ou 26.1 ; la 1.17 au plus ancien (les versions antérieures exigent Java 8, non pris en charge)',
      },
      eula: {
        label: 'CLUF',
        help: 'J’accepte le contrat de licence utilisateur final de Minecraft (https://aka.ms/MinecraftEULA)',
      },
      memoryMb: {
        label: VM_FIELD_LABELS.fr.memoryMb,
        help: `Mémoire de la VM en Mio, ${MINECRAFT_MIN_MEMORY_MB} au minimum ; Java en reçoit tout sauf un quart (de 768 à 1536 Mio) laissé au système`,
      },
      cores: { label: VM_FIELD_LABELS.fr.cores, help: 'Cœurs de processeur virtuels' },
      diskGb: { label: VM_FIELD_LABELS.fr.diskGb, help: 'Taille du disque en Gio (8 au minimum)' },
      motd: {
        label: 'Message du jour',
        help: 'Une ligne affichée sous le serveur dans la liste des serveurs multijoueurs',
      },
      maxPlayers: {
        label: 'Joueurs max.',
        help: 'Nombre maximal de joueurs connectés en même temps',
      },
      difficulty: { label: 'Difficulté', help: 'Difficulté du monde' },
      gamemode: { label: 'Mode de jeu', help: 'Mode de jeu des joueurs à leur première connexion' },
      onlineMode: {
        label: 'Mode en ligne',
        help: 'Vérifie le compte Minecraft de chaque joueur qui se connecte ; à désactiver seulement derrière un proxy de confiance',
      },
      whiteList: {
        label: 'Liste blanche',
        help: 'Seuls les joueurs listés ci-dessous (et les opérateurs) peuvent rejoindre',
      },
      whitelistPlayers: {
        label: 'Joueurs de la liste blanche',
        help: 'Leurs noms Minecraft, un par ligne ou séparés par des virgules (3 à 16 lettres, chiffres ou _)',
      },
      operators: {
        label: 'Opérateurs',
        help: 'Joueurs qui peuvent utiliser toutes les commandes du serveur (niveau op 4) ; ils peuvent toujours rejoindre',
      },
      pvp: { label: 'JcJ', help: 'Les joueurs peuvent se blesser entre eux' },
      viewDistance: {
        label: 'Distance d’affichage',
        help: 'Jusqu’où les joueurs voient, en chunks autour d’eux (3 à 32)',
      },
      simulationDistance: {
        label: 'Distance de simulation',
        help: 'Jusqu’où, autour des joueurs, le monde reste actif (les cultures poussent, les créatures bougent), en chunks (3 à 32)',
      },
      levelSeed: {
        label: 'Graine du monde',
        help: 'Graine à partir de laquelle le monde est généré ; laissez vide pour un monde aléatoire',
      },
      serverPort: {
        label: 'Port du jeu',
        help: 'Port TCP auquel les joueurs se connectent ; il répond aussi à la liste des serveurs',
      },
      spawnProtection: {
        label: 'Protection du spawn',
        help: 'Rayon en blocs autour du point d’apparition où seuls les opérateurs peuvent construire (0 la désactive) ; elle ne s’applique qu’une fois un opérateur désigné',
      },
      rconEnabled: {
        label: 'RCON',
        help: 'Active la console distante RCON, joignable depuis le runner seulement (un mot de passe est généré)',
      },
      rconPort: {
        label: 'Port RCON',
        help: 'Port TCP de la console RCON ; différent du port du jeu',
      },
    },
    options: {
      edition: { vanilla: 'Vanilla', paper: 'Paper' },
      // Feminine: they qualify « difficulté », as in the game's own French translation.
      difficulty: { peaceful: 'Paisible', easy: 'Facile', normal: 'Normale', hard: 'Difficile' },
      gamemode: {
        survival: 'Survie',
        creative: 'Créatif',
        adventure: 'Aventure',
        spectator: 'Spectateur',
      },
    },
  },
} as const satisfies Record<Lang, GameTextsFor<typeof MinecraftConfig>>
