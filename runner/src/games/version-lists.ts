import type { MinecraftEdition } from '../../../core/games/minecraft-config'
import { isObject, isString } from '../shape'

/**
 * The publishers' version lists (Mojang's manifest, PaperMC's Fill v3), fetched and cached, and
 * the newest release of a channel read from them: the watch's "update available". Kept apart from
 * the resolver (minecraft-version.ts, zod schemas, the Minecraft game module) so a runner between
 * jobs loads neither: only the fields read here are checked, by hand.
 * Sources: docs/minecraft.md#version-resolution.
 */

export const MOJANG_MANIFEST_URL = 'https://piston-meta.mojang.com/mc/game/version_manifest_v2.json'
/** Fill v3; v2 (api.papermc.io/v2) goes off on 2026-07-01 (docs/minecraft.md#paper-fill-v3). */
export const PAPER_FILL_URL = 'https://fill.papermc.io'
/** How long lists that change (the manifest, Paper's versions and builds) are cached. */
export const VERSION_LIST_TTL_MS = 10 * 60_000
const FETCH_TIMEOUT_MS = 20_000
/** How many of Paper's newest versions `latest` looks through for a stable build. */
export const PAPER_LATEST_SEARCH_LIMIT = 5

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
  /** Aborts the request once every caller that waits on it has given up. */
  abort: AbortController
  /** Callers waiting with a signal; Infinity once one waits without (never aborted). */
  waiting: number
}

/** Fetches and caches the publishers' lists; the newest release of a channel. */
export class VersionLists {
  private readonly cache = new Map<string, CacheEntry>()
  private readonly fetch: typeof fetch
  private readonly now: () => number
  protected readonly listTtlMs: number

  constructor(protected readonly options: ResolverOptions) {
    this.fetch = options.fetch ?? globalThis.fetch
    this.now = options.now ?? Date.now
    this.listTtlMs = options.listTtlMs ?? VERSION_LIST_TTL_MS
  }

  /**
   * The newest release `latest` stands for today (Paper: the newest version with a stable
   * build), for the live status's "update available". The lists come from the same cache as
   * the resolver's, so a status round asks the publishers at most once per TTL.
   */
  async latestVersion(edition: MinecraftEdition): Promise<string> {
    if (edition === 'paper') return this.latestPaper()
    const url = this.options.mojangManifestUrl ?? MOJANG_MANIFEST_URL
    const manifest = readJson(await this.getText(url, this.listTtlMs), url)
    const latest = isObject(manifest) && isObject(manifest.latest) ? manifest.latest : {}
    if (!isString(latest.release)) throw notInFormat(url, 'latest.release')
    return latest.release
  }

  /** The newest of Paper's newest versions that has a stable build (as `resolve('latest')`). */
  private async latestPaper(): Promise<string> {
    const base = this.paperBase()
    const project = readJson(await this.getText(base, this.listTtlMs), base)
    const groups = isObject(project) && isObject(project.versions) ? project.versions : null
    const newestFirst = groups ? Object.values(groups).flat() : [null]
    if (!newestFirst.every(isString)) throw notInFormat(base, 'versions')
    for (const candidate of newestFirst.slice(0, PAPER_LATEST_SEARCH_LIMIT)) {
      const url = `${base}/versions/${encodeURIComponent(candidate)}`
      const meta = readJson(
        await this.getText(url, this.listTtlMs, () => {
          throw new VersionResolutionError('unknown-version', `Paper has no version ${candidate}`)
        }),
        url,
      )
      const id = isObject(meta) && isObject(meta.version) ? meta.version.id : undefined
      if (!isString(id)) throw notInFormat(url, 'version.id')
      const builds = readJson(await this.getText(`${url}/builds`, this.listTtlMs), `${url}/builds`)
      if (!Array.isArray(builds)) throw notInFormat(`${url}/builds`, 'body')
      if (
        builds.some((b) => isObject(b) && (b.channel === 'STABLE' || b.channel === 'RECOMMENDED'))
      )
        return id
    }
    throw new VersionResolutionError(
      'no-stable-build',
      `none of Paper's ${PAPER_LATEST_SEARCH_LIMIT} newest versions has a stable build`,
    )
  }

  /** Drop a cached answer (one that proved wrong). */
  protected forget(url: string): void {
    this.cache.delete(url)
  }

  protected paperBase(): string {
    return `${this.options.paperApiUrl ?? PAPER_FILL_URL}/v3/projects/paper`
  }

  /**
   * GET with the cache; concurrent callers share one request; failures are not cached. A caller's
   * `signal` (a cancelled job) stops its wait, and the request itself once no caller waits.
   */
  protected getText(
    url: string,
    ttlMs: number,
    onNotFound?: () => never,
    signal?: AbortSignal,
  ): Promise<string> {
    let entry = this.cache.get(url)
    if (!entry || entry.expires <= this.now()) {
      const abort = new AbortController()
      const body = this.download(url, onNotFound, abort.signal)
      const fresh: CacheEntry = { expires: this.now() + ttlMs, body, abort, waiting: 0 }
      const settle = () => (fresh.waiting = -Infinity)
      body.then(settle, () => {
        settle()
        if (this.cache.get(url) === fresh) this.cache.delete(url)
      })
      this.cache.set(url, fresh)
      entry = fresh
    }
    if (!signal) {
      entry.waiting = Infinity
      return entry.body
    }
    signal.throwIfAborted()
    const shared = entry
    shared.waiting++
    return new Promise<string>((resolve, reject) => {
      const stop = () => {
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'))
        if (--shared.waiting === 0) {
          shared.abort.abort()
          if (this.cache.get(url) === shared) this.cache.delete(url)
        }
      }
      signal.addEventListener('abort', stop, { once: true })
      shared.body.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop))
    })
  }

  private async download(
    url: string,
    onNotFound: (() => never) | undefined,
    abort: AbortSignal,
  ): Promise<string> {
    let response: Response
    try {
      response = await this.fetch(url, {
        headers: { 'user-agent': this.options.userAgent, accept: 'application/json' },
        signal: AbortSignal.any([abort, AbortSignal.timeout(FETCH_TIMEOUT_MS)]),
      })
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err)
      throw new VersionResolutionError('upstream', `cannot fetch ${url}: ${reason}`)
    }
    const text = await response.text()
    if (response.status === 404 && onNotFound) onNotFound()
    if (!response.ok) {
      // Fill's error body: `{ ok: false, message }`.
      const fill = safeJson(text)
      const detail =
        isObject(fill) && fill.ok === false && isString(fill.message)
          ? fill.message
          : `HTTP ${response.status}`
      throw new VersionResolutionError('upstream', `${url} answered ${detail}`)
    }
    return text
  }
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function readJson(text: string, url: string): unknown {
  const json = safeJson(text)
  if (json === undefined) throw notInFormat(url, 'body')
  return json
}

function notInFormat(url: string, what: string): VersionResolutionError {
  return new VersionResolutionError('upstream', `${url} is not in the expected format (${what})`)
}
