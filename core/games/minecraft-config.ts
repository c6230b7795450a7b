import { z } from 'zod'

/**
 * Minecraft: Java Edition deployment config, as the admin fills it in. Field help texts
 * (`.describe()`) are shown by the generated web form. Facts and defaults come from
 * ../shared/reference/minecraft.md §3.2 (vanilla server.properties defaults).
 */

/** Control characters would break server.properties (one key per line); forbid them. */
const NO_CONTROL_CHARS = /^[^\p{Cc}]*$/u

export const MinecraftEdition = z
  .enum(['vanilla', 'paper'])
  .describe('Server software: vanilla (Mojang) or Paper (faster, supports plugins)')
export type MinecraftEdition = z.infer<typeof MinecraftEdition>

/**
 * `latest` or a pinned release id. Both numbering schemes are accepted: `1.21.5` and the
 * year-based `26.1` (Mojang's numbering from 2026, minecraft.md §0.5). Versions up to 1.16.x need
 * Java 8, which we do not install: they are refused here, early and clearly.
 */
export const MinecraftVersion = z
  .string()
  .trim()
  .regex(/^(latest|\d+\.\d+(\.\d+)?)$/, 'must be "latest" or a release such as 1.21.5 or 26.1')
  .refine((v) => !/^1\.([0-9]|1[0-6])(\.|$)/.test(v), {
    message: 'Minecraft 1.16.5 and older need Java 8, which is not supported: pick 1.17 or newer',
  })
  .describe('Minecraft version: "latest" for the newest release, or a pinned one such as 1.21.5')
export type MinecraftVersion = z.infer<typeof MinecraftVersion>

export const MinecraftDifficulty = z.enum(['peaceful', 'easy', 'normal', 'hard'])
export type MinecraftDifficulty = z.infer<typeof MinecraftDifficulty>

export const MinecraftGamemode = z.enum(['survival', 'creative', 'adventure', 'spectator'])
export type MinecraftGamemode = z.infer<typeof MinecraftGamemode>

/** The smallest VM we deploy: a 1 GiB heap plus the OS. */
export const MINECRAFT_MIN_MEMORY_MB = 2048

export const MinecraftConfig = z
  .object({
    // describe() again after default(): zod 4 keeps help texts on the wrapper, not the inner type.
    edition: MinecraftEdition.default('vanilla').describe(MinecraftEdition.description ?? ''),
    version: MinecraftVersion.default('latest').describe(MinecraftVersion.description ?? ''),
    eula: z
      .boolean()
      .refine((accepted) => accepted, {
        message: 'you must accept the Minecraft EULA (https://aka.ms/MinecraftEULA) to deploy',
      })
      .describe('I accept the Minecraft End User License Agreement (https://aka.ms/MinecraftEULA)'),
    memoryMb: z
      .number()
      .int()
      .min(MINECRAFT_MIN_MEMORY_MB)
      .max(131_072)
      .default(4096)
      .describe('VM memory in MiB; the Java heap gets this minus what the OS needs'),
    cores: z.number().int().min(1).max(64).default(2).describe('Virtual CPU cores'),
    diskGb: z.number().int().min(8).max(2048).default(16).describe('Disk size in GiB'),
    motd: z
      .string()
      .max(150)
      .regex(NO_CONTROL_CHARS, 'must be a single line')
      .default('A Minecraft Server')
      .describe('Message of the day shown in the multiplayer server list'),
    maxPlayers: z.number().int().min(1).max(1000).default(20).describe('Maximum players online'),
    difficulty: MinecraftDifficulty.default('easy').describe('World difficulty'),
    gamemode: MinecraftGamemode.default('survival').describe('Game mode for new players'),
    onlineMode: z
      .boolean()
      .default(true)
      .describe('Check players against Mojang accounts; turn off only behind a trusted proxy'),
    whiteList: z.boolean().default(false).describe('Only let whitelisted players join'),
    pvp: z.boolean().default(true).describe('Players can hurt each other'),
    viewDistance: z
      .number()
      .int()
      .min(3)
      .max(32)
      .default(10)
      .describe('Chunks sent to players, as a radius (3–32)'),
    simulationDistance: z
      .number()
      .int()
      .min(3)
      .max(32)
      .default(10)
      .describe('Chunks around players that keep ticking (3–32)'),
    levelSeed: z
      .string()
      .trim()
      .max(64)
      .regex(NO_CONTROL_CHARS, 'must be a single line')
      .default('')
      .describe('World seed; leave empty for a random world'),
    serverPort: z
      .number()
      .int()
      .min(1024)
      .max(65_535)
      .default(25_565)
      .describe('TCP port players connect to'),
    spawnProtection: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(16)
      .describe('Radius around spawn only operators can build in (0 turns it off)'),
    rconEnabled: z
      .boolean()
      .default(false)
      .describe(
        'Enable RCON remote console, reachable only from the runner (a password is generated)',
      ),
    rconPort: z.number().int().min(1024).max(65_535).default(25_575).describe('RCON TCP port'),
  })
  .refine((c) => !c.rconEnabled || c.rconPort !== c.serverPort, {
    message: 'the RCON port must differ from the game port',
    path: ['rconPort'],
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
