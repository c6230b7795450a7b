import * as z from 'zod'
import { minecraft } from './minecraft'
import { valheim } from './valheim'
import type { GameModule } from './types'

export type * from './types'
export {
  ArtifactRequest,
  GamePort,
  HealthCheck,
  LANGS,
  PortProtocol,
  QUICK_ACTIONS,
  VmSizing,
} from './types'

/**
 * The game catalogue. Adding a game: write its module (with its form texts) and its playbook, then
 * add one line here.
 */
export const GAMES = {
  minecraft,
  valheim,
} as const satisfies Record<string, GameModule>

/** Ids of the games in the catalogue, for API validation. */
export const GameId = z.enum(Object.keys(GAMES) as [keyof typeof GAMES, ...(keyof typeof GAMES)[]])
export type GameId = z.infer<typeof GameId>

/** The module for `id`, or undefined when the catalogue has no such game. */
export function getGame(id: string): GameModule | undefined {
  return Object.hasOwn(GAMES, id) ? GAMES[id as GameId] : undefined
}
