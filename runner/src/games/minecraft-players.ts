import { createHash } from 'node:crypto'
import * as z from 'zod'
import type { PlayerAccount, PlayersRequest } from '../../../core/games/types'

/**
 * Minecraft accounts for the names of a whitelist or the operators. An online-mode server knows
 * its players by their Mojang account's UUID: the runner looks the names up with Mojang's bulk
 * profile lookup (POST, at most 10 names a request; https://minecraft.wiki/w/Mojang_API). An
 * offline-mode server computes a UUID from the name, as the vanilla server does
 * (`UUID.nameUUIDFromBytes("OfflinePlayer:" + name)`, a version 3 UUID).
 */

/** Mojang's bulk name → profile lookup. */
export const MOJANG_PROFILES_URL =
  'https://api.minecraftservices.com/minecraft/profile/lookup/bulk/byname'
const BATCH = 10

const Profiles = z.array(z.object({ id: z.string().regex(/^[0-9a-f]{32}$/i), name: z.string() }))

/** `0123…` (32 hex digits) → `01234567-89ab-…`, as the server's JSON files write it. */
export function dashed(hex: string): string {
  const h = hex.toLowerCase()
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** The UUID an offline-mode server gives `name` (Java's name-based, version 3). */
export function offlineUuid(name: string): string {
  const md5 = createHash('md5').update(`OfflinePlayer:${name}`, 'utf8').digest()
  md5[6] = (md5[6]! & 0x0f) | 0x30
  md5[8] = (md5[8]! & 0x3f) | 0x80
  return dashed(md5.toString('hex'))
}

export interface PlayerLookupOptions {
  /** Mojang's bulk lookup, or a mirror (tests serve their own on loopback). */
  profilesUrl?: string
  userAgent: string
  signal?: AbortSignal
  timeoutMs?: number
}

/**
 * The accounts of `request.names` by lowercased name. Throws a message naming every player
 * Mojang does not know (a typo, or a name changed since), which fails the step with it.
 */
export async function resolvePlayers(
  request: PlayersRequest,
  options: PlayerLookupOptions,
): Promise<Record<string, PlayerAccount>> {
  const unique = [...new Map(request.names.map((n) => [n.toLowerCase(), n])).values()]
  const out: Record<string, PlayerAccount> = {}
  if (!request.online) {
    for (const name of unique) out[name.toLowerCase()] = { name, uuid: offlineUuid(name) }
    return out
  }
  const url = options.profilesUrl ?? MOJANG_PROFILES_URL
  for (let i = 0; i < unique.length; i += BATCH) {
    const batch = unique.slice(i, i + BATCH)
    const signals = [AbortSignal.timeout(options.timeoutMs ?? 20_000)]
    if (options.signal) signals.push(options.signal)
    let res: Response
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': options.userAgent },
        body: JSON.stringify(batch),
        signal: AbortSignal.any(signals),
      })
    } catch (err) {
      throw new Error(
        `cannot reach Mojang's profile lookup (${new URL(url).host}) to find the players' accounts: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      )
    }
    if (!res.ok) {
      throw new Error(`Mojang's profile lookup answered ${res.status} for the players' accounts`)
    }
    const parsed = Profiles.safeParse(await res.json().catch(() => null))
    if (!parsed.success) throw new Error("Mojang's profile lookup answered something unexpected")
    for (const p of parsed.data) out[p.name.toLowerCase()] = { name: p.name, uuid: dashed(p.id) }
  }
  const unknown = unique.filter((n) => !out[n.toLowerCase()])
  if (unknown.length > 0) {
    throw new Error(
      `no Minecraft account is called ${unknown.join(', ')}: check the spelling (an online-mode server needs real accounts)`,
    )
  }
  return out
}
