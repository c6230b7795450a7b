import { createHash } from 'node:crypto'
import type { z } from 'zod'
import { minimumJavaFor } from '../../../core/games/minecraft'
import type { MinecraftEdition, MinecraftServerArtifact } from '../../../core/games/minecraft'
import {
  FillError,
  MojangManifest,
  MojangVersion,
  PaperBuilds,
  PaperProject,
  PaperVersion,
} from './minecraft-upstream'
import type { PaperBuild } from './minecraft-upstream'

/**
 * Minecraft version → server jar URL, checksum and Java major, from Mojang's version manifest
 * (vanilla) and PaperMC's Fill v3 API (Paper). Sources: docs/minecraft.md#version-resolution.
 */

export const MOJANG_MANIFEST_URL = 'https://piston-meta.mojang.com/mc/game/version_manifest_v2.json'
/** Fill v3; v2 (api.papermc.io/v2) goes off on 2026-07-01 (docs/minecraft.md#paper-fill-v3). */
export const PAPER_FILL_URL = 'https://fill.papermc.io'
/** How long lists that change (the manifest, Paper's versions and builds) are cached. */
export const VERSION_LIST_TTL_MS = 10 * 60_000
const FETCH_TIMEOUT_MS = 20_000
/** How many of Paper's newest versions `latest` looks through for a stable build. */
const PAPER_LATEST_SEARCH_LIMIT = 5

/** Why a version could not be resolved; `message` is meant for the user. */
export class VersionResolutionError extends Error {
  constructor(
    readonly code: 'unknown-version' | 'unsupported-version' | 'no-stable-build' | 'upstream',
    message: string,
  ) {
    super(message)
    this.name = 'VersionResolutionError'
  }
}

export interface ResolverOptions {
  /**
   * Paper requires a User-Agent naming the software and a contact
   * (docs/minecraft.md#paper-fill-v3).
   */
  userAgent: string
  /** Injected in tests; the global fetch otherwise. */
  fetch?: typeof fetch
  mojangManifestUrl?: string
  paperApiUrl?: string
  listTtlMs?: number
  now?: () => number
}

interface CacheEntry {
  expires: number
  body: Promise<string>
}

/** Resolves and caches; one instance per runner process. */
export class MinecraftVersionResolver {
  private readonly cache = new Map<string, CacheEntry>()
  private readonly fetch: typeof fetch
  private readonly now: () => number
  private readonly listTtlMs: number

  constructor(private readonly options: ResolverOptions) {
    this.fetch = options.fetch ?? globalThis.fetch
    this.now = options.now ?? Date.now
    this.listTtlMs = options.listTtlMs ?? VERSION_LIST_TTL_MS
  }

  /**
   * The newest release `latest` stands for today (Paper: the newest version with a stable
   * build), for the live status's "update available". The lists come from the same cache as
   * `resolve`, so a status round asks the publishers at most once per TTL.
   */
  async latestVersion(edition: MinecraftEdition): Promise<string> {
    if (edition === 'paper') return (await this.resolvePaper('latest')).version
    const manifestUrl = this.options.mojangManifestUrl ?? MOJANG_MANIFEST_URL
    return (await this.getJson(manifestUrl, MojangManifest, this.listTtlMs)).latest.release
  }

  /**
   * The server jar for `edition` at `version` (`latest` or a pinned id). Rejects with a
   * `VersionResolutionError`: unknown version, Java 8 versions, no stable Paper build, or an
   * upstream failure.
   */
  async resolve(edition: MinecraftEdition, version: string): Promise<MinecraftServerArtifact> {
    const artifact =
      edition === 'paper' ? await this.resolvePaper(version) : await this.resolveVanilla(version)
    if (artifact.javaMajor < 16) {
      throw new VersionResolutionError(
        'unsupported-version',
        `Minecraft ${artifact.version} needs Java ${artifact.javaMajor}, which is not supported: pick 1.17 or newer`,
      )
    }
    return artifact
  }

  private async resolveVanilla(version: string): Promise<MinecraftServerArtifact> {
    const manifestUrl = this.options.mojangManifestUrl ?? MOJANG_MANIFEST_URL
    const manifest = await this.getJson(manifestUrl, MojangManifest, this.listTtlMs)
    const id = version === 'latest' ? manifest.latest.release : version
    const entry = manifest.versions.find((v) => v.id === id)
    if (!entry) {
      throw new VersionResolutionError(
        'unknown-version',
        `Minecraft ${id} is not a version Mojang publishes (latest release: ${manifest.latest.release})`,
      )
    }
    // The per-version file never changes (its URL contains its SHA-1): cache it for good.
    const text = await this.getText(entry.url, Infinity)
    if (entry.sha1 && sha1(text) !== entry.sha1) {
      this.cache.delete(entry.url)
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

  private async resolvePaper(version: string): Promise<MinecraftServerArtifact> {
    const base = `${this.options.paperApiUrl ?? PAPER_FILL_URL}/v3/projects/paper`
    if (version !== 'latest') {
      const found = await this.paperStableBuild(base, version)
      if (!found) {
        throw new VersionResolutionError(
          'no-stable-build',
          `Paper ${version} has no stable build yet`,
        )
      }
      return found
    }
    const project = await this.getJson(base, PaperProject, this.listTtlMs)
    const newestFirst = Object.values(project.versions).flat()
    for (const candidate of newestFirst.slice(0, PAPER_LATEST_SEARCH_LIMIT)) {
      const found = await this.paperStableBuild(base, candidate)
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
  ): Promise<MinecraftServerArtifact | null> {
    const url = `${base}/versions/${encodeURIComponent(version)}`
    const meta = await this.getJson(url, PaperVersion, this.listTtlMs, () => {
      throw new VersionResolutionError('unknown-version', `Paper has no version ${version}`)
    })
    const builds = await this.getJson(`${url}/builds`, PaperBuilds, this.listTtlMs)
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
    onNotFound?: () => never,
  ): Promise<z.output<S>> {
    return parseJson(await this.getText(url, ttlMs, onNotFound), schema, url)
  }

  /** GET with the cache; concurrent callers share one request; failures are not cached. */
  private getText(url: string, ttlMs: number, onNotFound?: () => never): Promise<string> {
    const hit = this.cache.get(url)
    if (hit && hit.expires > this.now()) return hit.body
    const body = this.download(url, onNotFound)
    this.cache.set(url, { expires: this.now() + ttlMs, body })
    body.catch(() => this.cache.delete(url))
    return body
  }

  private async download(url: string, onNotFound?: () => never): Promise<string> {
    let response: Response
    try {
      response = await this.fetch(url, {
        headers: { 'user-agent': this.options.userAgent, accept: 'application/json' },
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      })
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err)
      throw new VersionResolutionError('upstream', `cannot fetch ${url}: ${reason}`)
    }
    const text = await response.text()
    if (response.status === 404 && onNotFound) onNotFound()
    if (!response.ok) {
      const fill = FillError.safeParse(safeJson(text))
      const detail = fill.success ? fill.data.message : `HTTP ${response.status}`
      throw new VersionResolutionError('upstream', `${url} answered ${detail}`)
    }
    return text
  }
}

function sha1(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex')
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
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
