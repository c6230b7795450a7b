import * as z from 'zod'
import { TEMPLATE_MARKER_MESSAGE, hasNoTemplateMarker } from './free-text'

/**
 * Minecraft: Java Edition deployment config, as the admin fills it in. What the form says about
 * each field, in every language, is in `./minecraft-texts.ts`. Facts and defaults come from
 * docs/minecraft.md#keys-we-set (vanilla server.properties defaults).
 */

/** Control characters would break server.properties (one key per line); forbid them. */
const NO_CONTROL_CHARS = /^[^\p{Cc}]*$/u

export const MinecraftEdition = z.enum(['vanilla', 'paper'])
export type MinecraftEdition = z.infer<typeof MinecraftEdition>

/**
 * `latest` or a pinned release id. Both numbering schemes are accepted: `1.21.5` and the year-based
 * `26.1` (Mojang's numbering from 2026, docs/minecraft.md#year-based-versions). Versions up to
 * 1.16.x need Java 8, which we do not install: they are refused here, early and clearly.
 */
export const MinecraftVersion = z
  .string()
  .trim()
  .regex(/^(latest|\d+\.\d+(\.\d+)?)$/, 'must be "latest" or a release such as 1.21.5 or 26.1')
  .refine((v) => !/^1\.([0-9]|1[0-6])(\.|$)/.test(v), {
    message: 'Minecraft 1.16.5 and older need Java 8, which is not supported: pick 1.17 or newer',
  })
export type MinecraftVersion = z.infer<typeof MinecraftVersion>

export const MinecraftDifficulty = z.enum(['peaceful', 'easy', 'normal', 'hard'])
export type MinecraftDifficulty = z.infer<typeof MinecraftDifficulty>

export const MinecraftGamemode = z.enum(['survival', 'creative', 'adventure', 'spectator'])
export type MinecraftGamemode = z.infer<typeof MinecraftGamemode>

/** A Minecraft account name: 3 to 16 letters, digits or underscores (Mojang's rule). */
export const MINECRAFT_NAME = /^[A-Za-z0-9_]{3,16}$/

/** How many players the form takes for the whitelist, and for the operators. */
export const MAX_WHITELIST = 100
export const MAX_OPERATORS = 20

/** A list of player names as the form sends it: trimmed, each one checked. */
const PlayerList = (max: number) =>
  z
    .array(z.string().trim())
    .max(max)
    .default([])
    .superRefine((names, ctx) => {
      const seen = new Set<string>()
      for (const name of names) {
        if (!MINECRAFT_NAME.test(name)) {
          ctx.addIssue({
            code: 'custom',
            message: `"${name}" is not a Minecraft name: 3 to 16 letters, digits or _`,
          })
          return
        }
        const key = name.toLowerCase()
        if (seen.has(key)) {
          ctx.addIssue({ code: 'custom', message: `${name} is listed twice` })
          return
        }
        seen.add(key)
      }
    })

/** The smallest VM we deploy: a 1 GiB heap plus the OS. */
export const MINECRAFT_MIN_MEMORY_MB = 2048

export const MinecraftConfig = z
  .object({
    edition: MinecraftEdition.default('vanilla'),
    version: MinecraftVersion.default('latest'),
    eula: z.boolean().refine((accepted) => accepted, {
      message: 'you must accept the Minecraft EULA (https://aka.ms/MinecraftEULA) to deploy',
    }),
    memoryMb: z.number().int().min(MINECRAFT_MIN_MEMORY_MB).max(131_072).default(4096),
    cores: z.number().int().min(1).max(64).default(2),
    diskGb: z.number().int().min(8).max(2048).default(16),
    motd: z
      .string()
      .max(150)
      .regex(NO_CONTROL_CHARS, 'must be a single line')
      .refine(hasNoTemplateMarker, TEMPLATE_MARKER_MESSAGE)
      .default('A Minecraft Server'),
    maxPlayers: z.number().int().min(1).max(1000).default(20),
    difficulty: MinecraftDifficulty.default('easy'),
    gamemode: MinecraftGamemode.default('survival'),
    onlineMode: z.boolean().default(true),
    whiteList: z.boolean().default(false),
    /** Who may join when the whitelist is on (operators may always). */
    whitelistPlayers: PlayerList(MAX_WHITELIST),
    /** Players with every operator command (level 4); they are whitelisted too. */
    operators: PlayerList(MAX_OPERATORS),
    pvp: z.boolean().default(true),
    viewDistance: z.number().int().min(3).max(32).default(10),
    simulationDistance: z.number().int().min(3).max(32).default(10),
    levelSeed: z
      .string()
      .trim()
      .max(64)
      .regex(NO_CONTROL_CHARS, 'must be a single line')
      .refine(hasNoTemplateMarker, TEMPLATE_MARKER_MESSAGE)
      .default(''),
    serverPort: z.number().int().min(1024).max(65_535).default(25_565),
    spawnProtection: z.number().int().min(0).max(1000).default(16),
    rconEnabled: z.boolean().default(false),
    rconPort: z.number().int().min(1024).max(65_535).default(25_575),
  })
  .refine((c) => !c.rconEnabled || c.rconPort !== c.serverPort, {
    message: 'the RCON port must differ from the game port',
    path: ['rconPort'],
  })
  .refine((c) => !c.whiteList || c.whitelistPlayers.length + c.operators.length > 0, {
    message: 'the whitelist needs at least one player (or an operator), or nobody can join',
    path: ['whitelistPlayers'],
  })
export type MinecraftConfig = z.infer<typeof MinecraftConfig>

/** Keys the generated form folds under "Advanced". */
export const MINECRAFT_ADVANCED_FIELDS = [
  'cores',
  'diskGb',
  'onlineMode',
  'viewDistance',
  'simulationDistance',
  'levelSeed',
  'serverPort',
  'spawnProtection',
  'rconEnabled',
  'rconPort',
] as const satisfies readonly (keyof MinecraftConfig)[]

/**
 * What the runner resolved for a config's edition and version: where the server jar is, its
 * checksum, and the Java it needs (Mojang's `javaVersion.majorVersion`, Paper's
 * `java.version.minimum`).
 */
export const MinecraftServerArtifact = z.object({
  edition: MinecraftEdition,
  /** The concrete version id (`latest` already resolved). */
  version: z.string().min(1),
  /** Paper build number; absent for vanilla. */
  build: z.number().int().optional(),
  url: z.url(),
  checksum: z.object({
    algorithm: z.enum(['sha1', 'sha256']),
    hex: z.string().regex(/^[0-9a-f]+$/),
  }),
  javaMajor: z.number().int().min(8),
})
export type MinecraftServerArtifact = z.infer<typeof MinecraftServerArtifact>
