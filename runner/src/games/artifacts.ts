import type { ArtifactRequest } from '../../../core/games/types'
import type { MinecraftVersionResolver } from './minecraft-version'

/** The resolvers the runner has, one per `ArtifactRequest` kind. */
export interface ArtifactResolvers {
  minecraft: Pick<MinecraftVersionResolver, 'resolve'>
}

/**
 * Resolves what a game module asked for (`GameModule.artifact(config)`) into the value its
 * `toAnsibleVars` reads as `context.artifact`; null when nothing was asked. `signal` (the job's)
 * stops the lookup when the job is cancelled.
 */
export async function resolveArtifact(
  request: ArtifactRequest | null,
  resolvers: ArtifactResolvers,
  signal?: AbortSignal,
): Promise<unknown> {
  if (!request) return null
  switch (request.kind) {
    case 'minecraft-server':
      return resolvers.minecraft.resolve(request.edition, request.version, signal)
  }
}
