import * as z from 'zod'

/**
 * The contract every game in the catalogue fulfils. A game is one module: a config schema
 * (drives API validation and the web form), the form's texts in every language the dashboard
 * speaks, defaults, VM sizing, ports, an Ansible vars conversion, a playbook and a health
 * check. The deployment engine only talks to this interface, so a second game (Valheim
 * through SteamCMD, say) needs its module, its playbook and one registry line in `./index.ts`,
 * nothing else.
 */

/** Transport of a published port. */
export const PortProtocol = z.enum(['tcp', 'udp'])
export type PortProtocol = z.infer<typeof PortProtocol>

/** A port the game listens on inside the VM, as the firewall and the dashboard see it. */
export const GamePort = z.object({
  /** Machine name, e.g. `game`, `rcon`, `query`. */
  name: z.string(),
  port: z.number().int().min(1).max(65_535),
  protocol: PortProtocol,
  /**
   * `public`: open to everyone (the players). `runner`: open only to the runner's address
   * (admin protocols such as RCON, which is unencrypted).
   */
  exposure: z.enum(['public', 'runner']),
  description: z.string(),
})
export type GamePort = z.infer<typeof GamePort>

/** What the provision step installed, kept in the deployment's checkpoint for later checks. */
export interface InstalledFacts {
  version?: string
}

/** How the runner proves the game answers, once the playbook has finished. */
export const HealthCheck = z.discriminatedUnion('kind', [
  z.object({
    /** Minecraft Java Server List Ping (status request over the game port). */
    kind: z.literal('minecraft-slp'),
    port: z.number().int(),
    /**
     * What the answer must show, so a wrong server on the port, or one configured otherwise,
     * does not pass: the MOTD, the slots, and the release (with the edition, since Paper names
     * itself in the version, e.g. `Paper 1.21.4`).
     */
    expect: z.object({
      motd: z.string().optional(),
      maxPlayers: z.number().int().optional(),
      version: z.string().optional(),
      edition: z.enum(['vanilla', 'paper']).optional(),
    }),
    timeoutMs: z.number().int().positive(),
  }),
  z.object({
    /**
     * Steam's A2S_INFO server query (UDP), challenge followed: the answer names the server, its
     * game, version and players, as the in-game server browser shows them.
     */
    kind: z.literal('steam-a2s'),
    port: z.number().int(),
    /** What the answer must show, so another server on the port does not pass. */
    expect: z.object({ name: z.string().optional() }),
    timeoutMs: z.number().int().positive(),
  }),
  z.object({
    /** A TCP connect succeeds. */
    kind: z.literal('tcp'),
    port: z.number().int(),
    timeoutMs: z.number().int().positive(),
  }),
  z.object({
    /** A UDP datagram (hex payload) gets any answer, e.g. a Steam A2S_INFO query. */
    kind: z.literal('udp'),
    port: z.number().int(),
    payloadHex: z.string().regex(/^([0-9a-f]{2})*$/),
    timeoutMs: z.number().int().positive(),
  }),
])
export type HealthCheck = z.infer<typeof HealthCheck>

/** What the VM is cloned with. */
export const VmSizing = z.object({
  cores: z.number().int().min(1),
  memoryMb: z.number().int().min(512),
  diskGb: z.number().int().min(4),
})
export type VmSizing = z.infer<typeof VmSizing>

/**
 * Something the runner must look up before the playbook runs (a download URL and its checksum),
 * because it changes over time and the playbook must stay deterministic. One member per resolver
 * the runner implements (`runner/src/games/`).
 */
export const ArtifactRequest = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('minecraft-server'),
    edition: z.enum(['vanilla', 'paper']),
    /** `latest` or a pinned version id such as `1.21.5`. */
    version: z.string(),
  }),
])
export type ArtifactRequest = z.infer<typeof ArtifactRequest>

/** A secret the deployment needs, generated once by the caller and kept for retries. */
export interface SecretSpec {
  name: string
  /** Random bytes to draw (the caller encodes them, e.g. base64url; core has no crypto API). */
  bytes: number
}

/** What the runner knows at playbook time and the module cannot compute on its own. */
export interface AnsibleContext {
  /** Address of the runner as the VM sees it (admin ports are opened to it alone), or null. */
  runnerAddress: string | null
  /** The resolved artifact (shape depends on the request kind), or null when none was asked. */
  artifact: unknown
  /** Values for the module's `secrets(config)`, by name. */
  secrets: Readonly<Record<string, string>>
  /** Optional download override (a mirror or a test server) for the artifact. */
  artifactUrlOverride?: string | null
  /** The players `players(config)` named, resolved by the runner: lowercased name → account. */
  players?: Readonly<Record<string, PlayerAccount>>
}

/** A player account as the runner resolved it (Minecraft: the UUID the server files use). */
export interface PlayerAccount {
  name: string
  /** With dashes, as whitelist.json and ops.json hold it. */
  uuid: string
}

/** The players a config names, to resolve before the playbook runs. */
export interface PlayersRequest {
  names: readonly string[]
  /** Online mode: real accounts, looked up; offline: the server's own name-based UUIDs. */
  online: boolean
}

/** The languages the dashboard speaks; every game brings its form texts in each of them. */
export const LANGS = ['en', 'fr'] as const
export type Lang = (typeof LANGS)[number]

/** What the generated form shows for one config field, in one language. */
export interface FieldText {
  label: string
  /** Under the field; for a required checkbox (the EULA) the sentence is the label itself. */
  help: string
}

/**
 * A game's form texts in one language: its summary, a label and a help text for every config
 * field, and a label for every option of its enum fields. Kept per game, not in the web app, so
 * two games may word a shared key (`password`, `serverPort`) differently and a new game needs no
 * change outside its module.
 */
export interface GameTexts {
  /** The line under the game's name where the admin picks a game. */
  readonly summary: string
  /**
   * How a player joins, step by step, as the ready card shows it; `{address}` stands for the
   * address players type.
   */
  readonly join: readonly string[]
  readonly fields: Readonly<Record<string, FieldText>>
  /** Option labels by field, then by option value. */
  readonly options: Readonly<Record<string, Readonly<Record<string, string>>>>
}

/** Config keys whose input is a string enum (a closed set of options). */
type EnumKeys<T> = {
  [K in keyof T]-?: NonNullable<T[K]> extends string
    ? string extends NonNullable<T[K]>
      ? never
      : K
    : never
}[keyof T]

/**
 * `GameTexts` checked against a config schema: the compiler asks for a text for every field and
 * a label for every option, so a field added to the schema cannot ship without its wording.
 * Use it with `satisfies` in the game's `*-texts.ts`.
 */
export type GameTextsFor<S extends z.ZodType> = {
  readonly summary: string
  readonly join: readonly string[]
  readonly fields: { readonly [K in keyof z.input<S> & string]-?: FieldText }
  readonly options: {
    readonly [K in EnumKeys<z.input<S>> & string]-?: Readonly<
      Record<NonNullable<z.input<S>[K]> & string, string>
    >
  }
}

/**
 * Where a game's remote console answers in one deployment (`rcon`: the Source RCON protocol
 * Minecraft speaks), and the name of the generated secret that opens it.
 */
export interface ConsoleEndpoint {
  protocol: 'rcon'
  port: number
  secret: string
}

/** The console's quick actions, each a fixed command around at most one checked argument. */
export const QUICK_ACTIONS = [
  'say',
  'list',
  'whitelist_add',
  'whitelist_remove',
  'op',
  'deop',
] as const
export type QuickAction = (typeof QUICK_ACTIONS)[number]

/** A game's remote console: how the runner reaches it and what its quick actions send. */
export interface GameConsole<C> {
  /** Where this deployment's console answers; null when its config switched it off. */
  endpoint(config: C): ConsoleEndpoint | null
  /** What a player name must look like before it becomes part of a command. */
  readonly playerName: RegExp
  /** The command a quick action sends; `arg` is already checked (a player name or a message). */
  command(action: QuickAction, arg: string): string
  /** Player lists a change applies through this console without a restart (see LiveLists). */
  readonly liveLists?: LiveLists
}

/**
 * The config fields holding player lists that a change applies through the console: the
 * playbook writes the files without restarting (`vars.live`), then the runner sends `reload`
 * and the quick actions `op`/`deop` for the operators (field `operators`) added and removed; an
 * answer matching `refused` is a failure, and the playbook runs again asked to restart
 * (`vars.restart`).
 */
export interface LiveLists {
  fields: readonly string[]
  operators: string
  reload: string
  refused: RegExp
  vars: { live: string; restart: string }
}

/** Ansible extra vars: JSON-serialisable values keyed by role-prefixed variable names. */
export type AnsibleVars = Record<string, unknown>

/**
 * One game of the catalogue. `S` is its zod config schema; methods take the parsed config.
 * Methods (not function properties) so a `GameModule<MinecraftConfig>` is a `GameModule`.
 */
export interface GameModule<S extends z.ZodType = z.ZodType> {
  /** Stable id used in the API, the database and the registry, e.g. `minecraft`. */
  readonly id: string
  /** Display name, e.g. `Minecraft: Java Edition`. */
  readonly name: string
  /** One line on what the deployment sets up, in English (`texts` has it in every language). */
  readonly summary: string
  /** Playbook file under `ansible/`, run by the runner's Ansible executor. */
  readonly playbook: string
  /** Validates API input and generates the web form. */
  readonly configSchema: S
  /** What the form shows for each field and option, in every language the dashboard speaks. */
  readonly texts: Readonly<Record<Lang, GameTexts>>
  /** The form's initial values (not necessarily valid: e.g. the EULA starts unticked). */
  readonly defaults: z.input<S>
  /** Top-level config keys the web form folds under "Advanced". */
  readonly advancedFields: readonly string[]
  /**
   * Fields the form shows only while a yes/no field is on, by key (e.g. Minecraft's players to
   * whitelist, under the whitelist switch). Their values are still sent and validated.
   */
  readonly visibleWhen?: Readonly<Record<string, string>>
  /**
   * Config keys whose values are secrets: the worker masks them in API responses and adds their
   * values to the runner's redaction list (e.g. Valheim's `password`, which players type).
   */
  readonly sensitiveFields?: readonly string[]
  /**
   * The game's remote console; null for a game without one (the dashboard says so). A new game
   * declares it here and nowhere else.
   */
  readonly console: GameConsole<z.output<S>> | null
  /** The systemd unit the playbook installs the game as: its journal is the server's own log. */
  readonly serviceUnit: string
  /** VM size to clone for this config. */
  sizing(config: z.output<S>): VmSizing
  /** Ports the game listens on, for the firewall, the dashboard and port checks. */
  ports(config: z.output<S>): GamePort[]
  /** Secrets to generate once per deployment (none by default). */
  secrets(config: z.output<S>): SecretSpec[]
  /** Player names the runner must resolve to accounts first (whitelist, operators), if any. */
  players?(config: z.output<S>): PlayersRequest | null
  /** What the runner must resolve before the playbook, or null. */
  artifact(config: z.output<S>): ArtifactRequest | null
  /** The playbook's extra vars. Throws when the context lacks something the config needs. */
  toAnsibleVars(config: z.output<S>, context: AnsibleContext): AnsibleVars
  /**
   * How the runner verifies the deployed game. `installed.version` is what provisioning
   * installed (e.g. the release `latest` resolved to), when the game has versions.
   */
  healthCheck(config: z.output<S>, installed?: InstalledFacts): HealthCheck
}
