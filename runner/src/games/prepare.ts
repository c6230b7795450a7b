import { join } from 'node:path'
import type {
  AnsibleVars,
  GameModule,
  PlayerAccount,
  PlayersRequest,
} from '../../../core/games/types'
import { resolveArtifact } from './artifacts'
import type { ArtifactResolvers } from './artifacts'

export interface PrepareInput {
  game: GameModule
  /** The deployment's stored config (validated again here: the runner parses at its edge). */
  config: unknown
  /** Folder holding the playbooks (`ansible/` of the runner's install). */
  ansibleDir: string
  /** The runner's address as the VM sees it, for admin ports such as RCON. */
  runnerAddress: string | null
  /** Values for `game.secrets(config)`, generated once per deployment and kept for retries. */
  secrets: Readonly<Record<string, string>>
  resolvers: ArtifactResolvers
  /** A mirror or test URL for the artifact; its checksum is still enforced. */
  artifactUrlOverride?: string | null
  /** Looks up the players the config names (`game.players`); not called when it names none. */
  resolvePlayers?: (request: PlayersRequest) => Promise<Record<string, PlayerAccount>>
  /** The job's: a cancel stops the lookups. */
  signal?: AbortSignal
}

export interface PreparedPlaybook {
  /** Absolute path for `runPlaybook({ playbook })`. */
  playbook: string
  /** For `runPlaybook({ extraVars })`. */
  extraVars: AnsibleVars
  /** For `runPlaybook({ secrets })`: redacted from every log line. */
  secretValues: string[]
  /** What was resolved (e.g. the jar's version and checksum), worth keeping in the step result. */
  artifact: unknown
}

/**
 * Everything the "run Ansible" step needs for a game: the config checked against the game's
 * schema, the artifact resolved (e.g. Minecraft version → jar URL + checksum), the extra vars.
 * Rejects with the schema's or the resolver's message, meant for the user.
 */
export async function preparePlaybook(input: PrepareInput): Promise<PreparedPlaybook> {
  const parsed = input.game.configSchema.safeParse(input.config)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(
      `invalid ${input.game.name} config: ${issue?.path.join('.') || 'config'}: ${issue?.message}`,
    )
  }
  const config = parsed.data
  const missing = input.game
    .secrets(config)
    .map((s) => s.name)
    .filter((name) => !input.secrets[name])
  if (missing.length > 0) throw new Error(`missing generated secrets: ${missing.join(', ')}`)
  const artifact = await resolveArtifact(input.game.artifact(config), input.resolvers, input.signal)
  const wanted = input.game.players?.(config) ?? null
  if (wanted && !input.resolvePlayers) throw new Error('this runner cannot look players up')
  const players = wanted && input.resolvePlayers ? await input.resolvePlayers(wanted) : undefined
  const extraVars = input.game.toAnsibleVars(config, {
    ...(players ? { players } : {}),
    runnerAddress: input.runnerAddress,
    artifact,
    secrets: input.secrets,
    artifactUrlOverride: input.artifactUrlOverride ?? null,
  })
  return {
    playbook: join(input.ansibleDir, input.game.playbook),
    extraVars,
    secretValues: Object.values(input.secrets).filter((v) => v.length > 0),
    artifact,
  }
}
