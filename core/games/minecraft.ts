import {
  MINECRAFT_ADVANCED_FIELDS,
  MinecraftConfig,
  MinecraftServerArtifact,
} from './minecraft-config'
import { MINECRAFT_TEXTS } from './minecraft-texts'
import type {
  AnsibleContext,
  AnsibleVars,
  GameModule,
  GamePort,
  PlayerAccount,
  QuickAction,
} from './types'

export * from './minecraft-config'

/**
 * The Minecraft: Java Edition module: config → VM size, ports, playbook vars, health check.
 * Sources for every fact: docs/minecraft.md.
 */

/** Oldest Java the role installs. Java 8 (Minecraft ≤ 1.16.5) is out of scope. */
export const MINECRAFT_MIN_JAVA = 17

/** How long the health check waits for the Server List Ping answer. */
export const MINECRAFT_SLP_TIMEOUT_MS = 5_000

/**
 * Java needed by a Minecraft version, for when no metadata says it (Mojang's per-version JSON
 * and Paper's API do, and win): ≤1.16 → 8, 1.17 → 16, 1.18–1.20.4 → 17, 1.20.5–1.21.x → 21,
 * year-based 26.x and later → 25 (docs/minecraft.md#java-by-version).
 */
export function minimumJavaFor(version: string): number {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number)
  if (major >= 26) return 25
  if (major !== 1) throw new Error(`not a Minecraft release version: ${version}`)
  if (minor <= 16) return 8
  if (minor === 17) return 16
  if (minor < 20 || (minor === 20 && patch <= 4)) return 17
  return 21
}

/**
 * The Java major to install for a required minimum: 16 becomes 17 (no distro or Temurin ships
 * 16 any more, and 17 runs 1.17); anything below 16 is refused with a message a user can act on.
 */
export function javaToInstall(requiredMajor: number, version: string): number {
  if (requiredMajor < 16) {
    throw new Error(
      `Minecraft ${version} needs Java ${requiredMajor}, which is not supported: pick 1.17 or newer`,
    )
  }
  return Math.max(requiredMajor, MINECRAFT_MIN_JAVA)
}

/**
 * Java heap (-Xms = -Xmx) for a VM of `memoryMb`: leave the OS and the JVM's off-heap about a
 * quarter of the memory, at least 768 MiB and at most 1536 MiB (Aikar: leave 1000–1500 MB;
 * 8 GiB → 6656 MiB heap, close to their 6500 MB example; docs/minecraft.md#jvm-heap-and-flags).
 */
export function heapMbFor(memoryMb: number): number {
  const headroom = Math.min(1536, Math.max(768, Math.round(memoryMb * 0.25)))
  return memoryMb - headroom
}

/** server.properties keys and values, as the server itself writes them (booleans lowercase). */
export function serverProperties(config: MinecraftConfig): Record<string, string> {
  return {
    motd: config.motd,
    'max-players': String(config.maxPlayers),
    difficulty: config.difficulty,
    gamemode: config.gamemode,
    'online-mode': String(config.onlineMode),
    'white-list': String(config.whiteList),
    // Players taken off the whitelist are kicked at once, not at their next join.
    'enforce-whitelist': String(config.whiteList),
    pvp: String(config.pvp),
    'view-distance': String(config.viewDistance),
    'simulation-distance': String(config.simulationDistance),
    'level-seed': config.levelSeed,
    'server-port': String(config.serverPort),
    'spawn-protection': String(config.spawnProtection),
    // The SLP health check needs the status answer on (docs/minecraft.md#keys-we-set).
    'enable-status': 'true',
    'enable-rcon': String(config.rconEnabled),
    'rcon.port': String(config.rconPort),
  }
}

/** Minecraft's own commands for the console's quick actions. */
function minecraftCommand(action: QuickAction, arg: string): string {
  switch (action) {
    case 'say':
      return `say ${arg}`
    case 'list':
      return 'list'
    case 'whitelist_add':
      return `whitelist add ${arg}`
    case 'whitelist_remove':
      return `whitelist remove ${arg}`
    case 'op':
      return `op ${arg}`
    case 'deop':
      return `deop ${arg}`
  }
}

function ports(config: MinecraftConfig): GamePort[] {
  const list: GamePort[] = [
    {
      name: 'game',
      port: config.serverPort,
      protocol: 'tcp',
      exposure: 'public',
      description: 'Minecraft game and Server List Ping',
    },
  ]
  if (config.rconEnabled) {
    list.push({
      name: 'rcon',
      port: config.rconPort,
      protocol: 'tcp',
      exposure: 'runner',
      description: 'RCON remote console (unencrypted: open to the runner only)',
    })
  }
  return list
}

function toAnsibleVars(config: MinecraftConfig, context: AnsibleContext): AnsibleVars {
  const artifact = MinecraftServerArtifact.parse(context.artifact)
  const rconPassword = context.secrets.rconPassword
  if (config.rconEnabled && !rconPassword) {
    throw new Error('RCON is enabled but no rconPassword secret was generated')
  }
  if (config.rconEnabled && !context.runnerAddress) {
    throw new Error('RCON is enabled but the runner address is unknown, so it could not be opened')
  }
  return {
    minecraft_eula_accept: config.eula,
    minecraft_edition: artifact.edition,
    minecraft_version: artifact.version,
    minecraft_java_major: javaToInstall(artifact.javaMajor, artifact.version),
    minecraft_server_jar_url: context.artifactUrlOverride || artifact.url,
    minecraft_server_jar_checksum: `${artifact.checksum.algorithm}:${artifact.checksum.hex}`,
    minecraft_memory_mb: config.memoryMb,
    minecraft_heap_mb: heapMbFor(config.memoryMb),
    minecraft_server_port: config.serverPort,
    minecraft_properties: serverProperties(config),
    minecraft_rcon_enabled: config.rconEnabled,
    minecraft_rcon_port: config.rconPort,
    minecraft_rcon_password: config.rconEnabled ? rconPassword : '',
    minecraft_rcon_allowed_from:
      config.rconEnabled && context.runnerAddress ? [context.runnerAddress] : [],
    ...playerFiles(config, context),
  }
}

/** Java's `String.hashCode` (UTF-16 code units, 32-bit wrap-around). */
export function javaStringHash(text: string): number {
  let h = 0
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0
  return h
}

/**
 * Accounts in the order a `java.util.HashMap` keyed by their UUID string iterates them: the
 * vanilla server keeps ops.json in one (StoredUserList) and rewrites the file in that order at
 * every start, so the role writes it in that order already and its next run finds it unchanged.
 * Buckets in order (`(h ^ h >>> 16) & (capacity - 1)`, capacity 16 doubled past 3/4 full),
 * accounts of one bucket in their listed order, as the server loaded them.
 */
export function inHashMapOrder<T extends { uuid: string }>(accounts: readonly T[]): T[] {
  let capacity = 16
  while (accounts.length > capacity * 0.75) capacity *= 2
  const bucket = (a: T) => {
    const h = javaStringHash(a.uuid)
    return (h ^ (h >>> 16)) & (capacity - 1)
  }
  return accounts
    .map((a, i) => ({ a, i, b: bucket(a) }))
    .sort((x, y) => x.b - y.b || x.i - y.i)
    .map((x) => x.a)
}

/**
 * whitelist.json and ops.json as the server reads them, from the accounts the runner resolved.
 * Operators are on the whitelist too, so the list says everyone who may join.
 */
function playerFiles(config: MinecraftConfig, context: AnsibleContext) {
  const account = (name: string) => {
    const found = context.players?.[name.toLowerCase()]
    if (!found) throw new Error(`the player ${name} was not resolved to an account`)
    return found
  }
  const ops = config.operators.map(account)
  const listed = new Map<string, PlayerAccount>()
  for (const a of [...config.whitelistPlayers.map(account), ...ops]) listed.set(a.uuid, a)
  return {
    minecraft_whitelist: [...listed.values()].map((a) => ({ uuid: a.uuid, name: a.name })),
    minecraft_ops: inHashMapOrder(ops).map((a) => ({
      uuid: a.uuid,
      name: a.name,
      level: 4,
      bypassesPlayerLimit: false,
    })),
  }
}

/** Minecraft: Java Edition, vanilla or Paper. */
export const minecraft: GameModule<typeof MinecraftConfig> = {
  id: 'minecraft',
  name: 'Minecraft: Java Edition',
  summary: MINECRAFT_TEXTS.en.summary,
  playbook: 'provision_minecraft.yml',
  configSchema: MinecraftConfig,
  texts: MINECRAFT_TEXTS,
  defaults: {
    edition: 'vanilla',
    version: 'latest',
    eula: false,
    memoryMb: 4096,
    cores: 2,
    diskGb: 16,
    motd: 'A Minecraft Server',
    maxPlayers: 20,
    difficulty: 'easy',
    gamemode: 'survival',
    onlineMode: true,
    whiteList: false,
    whitelistPlayers: [],
    operators: [],
    pvp: true,
    viewDistance: 10,
    simulationDistance: 10,
    levelSeed: '',
    serverPort: 25_565,
    spawnProtection: 16,
    rconEnabled: false,
    rconPort: 25_575,
  },
  advancedFields: MINECRAFT_ADVANCED_FIELDS,
  console: {
    endpoint: (config) =>
      config.rconEnabled
        ? { protocol: 'rcon', port: config.rconPort, secret: 'rconPassword' }
        : null,
    // Java Edition account names (https://minecraft.wiki/w/Player#Username).
    playerName: /^[A-Za-z0-9_]{3,16}$/,
    command: minecraftCommand,
    // whitelist.json is reloaded from disk (`whitelist reload`, which kicks the players taken
    // off with enforce-whitelist); ops.json has no reload, so operators move one by one.
    liveLists: {
      fields: ['whitelistPlayers', 'operators'],
      operators: 'operators',
      reload: 'whitelist reload',
      refused: /^(Unknown or incomplete command|Incorrect argument|That player does not exist)/,
      vars: { live: 'minecraft_players_live', restart: 'minecraft_restart_requested' },
    },
  },
  serviceUnit: 'minecraft',
  visibleWhen: { whitelistPlayers: 'whiteList' },
  sizing: (config) => ({ cores: config.cores, memoryMb: config.memoryMb, diskGb: config.diskGb }),
  ports,
  secrets: (config) => (config.rconEnabled ? [{ name: 'rconPassword', bytes: 24 }] : []),
  players: (config) => {
    const names = [...config.whitelistPlayers, ...config.operators]
    return names.length > 0 ? { names, online: config.onlineMode } : null
  },
  artifact: (config) => ({
    kind: 'minecraft-server',
    edition: config.edition,
    version: config.version,
  }),
  toAnsibleVars,
  healthCheck: (config, installed) => {
    // The release provisioning installed; a pinned one is known even without it.
    const version = installed?.version ?? (config.version === 'latest' ? undefined : config.version)
    return {
      kind: 'minecraft-slp',
      port: config.serverPort,
      expect: {
        motd: config.motd,
        maxPlayers: config.maxPlayers,
        ...(version !== undefined ? { version, edition: config.edition } : {}),
      },
      timeoutMs: MINECRAFT_SLP_TIMEOUT_MS,
    }
  },
}
