import { createHash } from 'node:crypto'
import type { z } from 'zod'
import { minimumJavaFor } from '../../../core/games/minecraft'
import type { MinecraftEdition, MinecraftServerArtifact } from '../../../core/games/minecraft'
import {
  MojangManifest,
  MojangVersion,
  PaperBuilds,
  PaperProject,
  PaperVersion,
} from './minecraft-upstream'
import type { PaperBuild } from './minecraft-upstream'
import {
  MOJANG_MANIFEST_URL,
  PAPER_LATEST_SEARCH_LIMIT,
  safeJson,
  VersionLists,
  VersionResolutionError,
} from './version-lists'

export {
  MOJANG_MANIFEST_URL,
  PAPER_FILL_URL,
  VERSION_LIST_TTL_MS,
  VersionResolutionError,
  type ResolverOptions,
} from './version-lists'

/**
 * Minecraft version → server jar URL, checksum and Java major, from Mojang's version manifest
 * (vanilla) and PaperMC's Fill v3 API (Paper). Sources: docs/minecraft.md#version-resolution.
 */

/** Resolves and caches; one instance per runner process. */
export class MinecraftVersionResolver extends VersionLists {
  /**
   * The server jar for `edition` at `version` (`latest` or a pinned id). Rejects with a
   * `VersionResolutionError`: unknown version, Java 8 versions, no stable Paper build, or an
   * upstream failure.
   */
  async resolve(
    edition: MinecraftEdition,
    version: string,
    signal?: AbortSignal,
  ): Promise<MinecraftServerArtifact> {
    const artifact =
      edition === 'paper'
        ? await this.resolvePaper(version, signal)
        : await this.resolveVanilla(version, signal)
    if (artifact.javaMajor < 16) {
      throw new VersionResolutionError(
        'unsupported-version',
        `Minecraft ${artifact.version} needs Java ${artifact.javaMajor}, which is not supported: pick 1.17 or newer`,
      )
    }
    return artifact
  }

  private async resolveVanilla(
    version: string,
    signal?: AbortSignal,
  ): Promise<MinecraftServerArtifact> {
    const manifestUrl = this.options.mojangManifestUrl ?? MOJANG_MANIFEST_URL
    const manifest = await this.getJson(manifestUrl, MojangManifest, this.listTtlMs, signal)
    const id = version === 'latest' ? manifest.latest.release : version
    const entry = manifest.versions.find((v) => v.id === id)
    if (!entry) {
      throw new VersionResolutionError(
        'unknown-version',
        `Minecraft ${id} is not a version Mojang publishes (latest release: ${manifest.latest.release})`,
      )
    }
    // The per-version file never changes (its URL contains its SHA-1): cache it for good.
    const text = await this.getText(entry.url, Infinity, undefined, signal)
    if (entry.sha1 && sha1(text) !== entry.sha1) {
      this.forget(entry.url)
      throw new VersionResolutionError(
        'upstream',
        `${entry.url} does not match its SHA-1 in the manifest`,
      )
    }
    const meta = parseJson(text, MojangVersion, entry.url)
    const server = meta.downloads.server
    if (!server) {
      throw new VersionResolutionError(
        'unsupported-version',
        `Minecraft ${id} has no server download`,
      )
    }
    return {
      edition: 'vanilla',
      version: id,
      url: server.url,
      checksum: { algorithm: 'sha1', hex: server.sha1 },
      javaMajor: meta.javaVersion?.majorVersion ?? minimumJavaFor(id),
    }
  }

  private async resolvePaper(
    version: string,
    signal?: AbortSignal,
  ): Promise<MinecraftServerArtifact> {
    const base = this.paperBase()
    if (version !== 'latest') {
      const found = await this.paperStableBuild(base, version, signal)
      if (!found) {
        throw new VersionResolutionError(
          'no-stable-build',
          `Paper ${version} has no stable build yet`,
        )
      }
      return found
    }
    const project = await this.getJson(base, PaperProject, this.listTtlMs, signal)
    const newestFirst = Object.values(project.versions).flat()
    for (const candidate of newestFirst.slice(0, PAPER_LATEST_SEARCH_LIMIT)) {
      const found = await this.paperStableBuild(base, candidate, signal)
      if (found) return found
    }
    throw new VersionResolutionError(
      'no-stable-build',
      `none of Paper's ${PAPER_LATEST_SEARCH_LIMIT} newest versions has a stable build`,
    )
  }

  /** The newest STABLE/RECOMMENDED build of a Paper version, or null when it has none. */
  private async paperStableBuild(
    base: string,
    version: string,
    signal?: AbortSignal,
  ): Promise<MinecraftServerArtifact | null> {
    const url = `${base}/versions/${encodeURIComponent(version)}`
    const meta = await this.getJson(url, PaperVersion, this.listTtlMs, signal, () => {
      throw new VersionResolutionError('unknown-version', `Paper has no version ${version}`)
    })
    const builds = await this.getJson(`${url}/builds`, PaperBuilds, this.listTtlMs, signal)
    const build: PaperBuild | undefined = builds.find(
      (b) => b.channel === 'STABLE' || b.channel === 'RECOMMENDED',
    )
    if (!build) return null
    const download = build.downloads['server:default']
    return {
      edition: 'paper',
      version: meta.version.id,
      build: build.id,
      // Use the URL Fill gives: Paper says its format may change (docs/minecraft.md#paper-fill-v3).
      url: download.url,
      checksum: { algorithm: 'sha256', hex: download.checksums.sha256 },
      javaMajor: meta.version.java?.version?.minimum ?? minimumJavaFor(meta.version.id),
    }
  }

  private async getJson<S extends z.ZodType>(
    url: string,
    schema: S,
    ttlMs: number,
    signal?: AbortSignal,
    onNotFound?: () => never,
  ): Promise<z.output<S>> {
    return parseJson(await this.getText(url, ttlMs, onNotFound, signal), schema, url)
  }
}

function sha1(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex')
}

function parseJson<S extends z.ZodType>(text: string, schema: S, url: string): z.output<S> {
  const parsed = schema.safeParse(safeJson(text))
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new VersionResolutionError(
      'upstream',
      `${url} is not in the expected format (${issue?.path.join('.') || 'body'}: ${issue?.message})`,
    )
  }
  return parsed.data
}
