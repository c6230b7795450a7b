import type { ArtifactRequest } from '../../../core/games/types'
import type { VersionLists } from '../games/version-lists'
import { USER_AGENT } from '../version'

/**
 * The watch's "update available" lookup: the newest release of a `latest` channel, from the
 * publishers (or their mirror). Its own resolver, loaded only when a watched deployment follows
 * `latest`, so a runner between jobs loads no job executor for it; the version lists are cached
 * for `listTtlMs` (10 min by default), so a status round asks the publishers at most that often.
 */
export function createLatestRelease(options: {
  provisioner: 'ansible' | 'simulated'
  minecraftManifestUrl?: string
  paperApiUrl?: string
  listTtlMs?: number
}) {
  let minecraft: Promise<VersionLists> | null = null
  return async (channel: ArtifactRequest): Promise<string | null> => {
    if (channel.kind !== 'minecraft-server') return null
    // The simulated provisioner never reaches the internet: no mirror, no answer.
    if (options.provisioner === 'simulated' && !options.minecraftManifestUrl) return null
    minecraft ??= import('../games/version-lists').then(
      ({ VersionLists }) =>
        new VersionLists({
          userAgent: USER_AGENT,
          mojangManifestUrl: options.minecraftManifestUrl,
          paperApiUrl: options.paperApiUrl,
          listTtlMs: options.listTtlMs,
        }),
    )
    return (await minecraft).latestVersion(channel.edition)
  }
}
