import { getGame } from '../../../core/games'

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
