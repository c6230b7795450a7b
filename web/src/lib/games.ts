import { getGame } from '../../../core/games'
import type { GamePort, Lang } from '../../../core/games/types'

/**
 * The address players type: the VM's IP and the game's public port, computed by the game module
 * from the deployment's config (the same code the runner's firewall rules come from).
 */
export function playerAddress(game: string, ip: string | null, config: unknown): string | null {
  if (!ip) return null
  const module = getGame(game)
  if (!module) return ip
  const parsed = module.configSchema.safeParse(config)
  if (!parsed.success) return ip
  const ports = module.ports(parsed.data)
  const port = ports.find((p) => p.exposure === 'public') ?? ports[0]
  return port ? `${ip}:${port.port}` : ip
}

/** The game's display name, or its id when the catalogue does not know it. */
export function gameName(id: string): string {
  return getGame(id)?.name ?? id
}

/** The game's own "how to join" steps in `lang`, with the address filled in. */
export function joinSteps(game: string, lang: Lang, address: string): string[] {
  const texts = getGame(game)?.texts[lang]
  return texts ? texts.join.map((step) => step.replaceAll('{address}', address)) : []
}

/** The ports players reach from outside (what a router must forward), from the config. */
export function publicPorts(game: string, config: unknown): GamePort[] {
  const module = getGame(game)
  const parsed = module?.configSchema.safeParse(config)
  if (!module || !parsed?.success) return []
  return module.ports(parsed.data).filter((p) => p.exposure === 'public')
}

/**
 * Addresses players outside the local network cannot reach directly: RFC 1918 private ranges,
 * carrier-grade NAT (RFC 6598), link-local and loopback.
 */
export function isPrivateIPv4(ip: string): boolean {
  const parts = ip.split('.').map(Number)
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255))
    return false
  const [a = 0, b = 0] = parts
  return (
    a === 10 ||
    a === 127 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254)
  )
}

/**
 * A changed field as the diff and the Snapshots card name it in `lang`: the VM's size in the
 * product's words, a game setting by its form label, else its key.
 */
export function settingLabel(
  game: string,
  lang: Lang,
  sizingLabels: Record<string, string>,
  key: string,
): string {
  return sizingLabels[key] ?? getGame(game)?.texts[lang]?.fields[key]?.label ?? key
}
