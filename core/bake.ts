import * as z from 'zod'

/**
 * Game-ready templates ("bake"): a job clones the base cloud-init template, applies a game's
 * base layer only (Java for a version family, packages, the service user, the firewall's
 * defaults: ansible/bake_minecraft.yml), seals the VM (cloud-init state, machine id, SSH host
 * keys, logs) and converts it to a template named for the game, the family and the layer
 * version. Deployments of that game clone it when it is current, and Ansible skips the base layer.
 * Like the template job, it runs in a deployment record of its own (game {@link BAKE_GAME}).
 */

/** The `game` of a bake job's record: hidden from the game list, never watched. */
export const BAKE_GAME = 'game-bake'

/** The games that can be baked, with the files their base layer is made of (under ansible/). */
export const BAKE_LAYER_FILES = {
  minecraft: [
    'bake_minecraft.yml',
    'roles/minecraft/defaults/main.yml',
    'roles/minecraft/tasks/base.yml',
    'roles/minecraft/tasks/java.yml',
    'roles/minecraft/vars/Debian-12.yml',
    'roles/minecraft/vars/Debian-13.yml',
    'roles/minecraft/vars/Ubuntu-22.04.yml',
    'roles/minecraft/vars/Ubuntu-24.04.yml',
    'roles/minecraft/vars/main.yml',
  ],
} as const
export type BakeGame = keyof typeof BAKE_LAYER_FILES

/**
 * The layer version of each game: the first 10 hex digits of the SHA-256 over its layer files
 * (path, NUL, content, NUL, in the order above). Written by `node scripts/bake-layer.mjs --write`;
 * a test fails when a file changed and this did not.
 */
export const BAKE_LAYERS: Record<BakeGame, string> = {
  minecraft: 'e86a0d5910',
}

/** The Java families a Minecraft template can be baked for (docs/minecraft.md#java-by-version). */
export const BAKE_JAVA_MAJORS = [17, 21, 25] as const

export const BakeRequest = z.object({
  game: z.enum(['minecraft']),
  javaMajor: z.union([z.literal(17), z.literal(21), z.literal(25)]),
})
export type BakeRequest = z.infer<typeof BakeRequest>

/** The name of a baked template, e.g. `pgd-minecraft-java21-l3f9c0a12bd`. */
export function bakedTemplateName(game: BakeGame, javaMajor: number, layer: string): string {
  return `pgd-${game}-java${javaMajor}-l${layer}`
}

export interface BakedName {
  game: BakeGame
  javaMajor: number
  layer: string
}

/** A baked template's name read back, or null when the name is not one. */
export function parseBakedName(name: string): BakedName | null {
  const m = /^pgd-([a-z]+)-java(\d{1,2})-l([0-9a-f]{10})$/.exec(name)
  const game = m?.[1] ?? ''
  if (!m || !Object.hasOwn(BAKE_LAYER_FILES, game)) return null
  return { game: game as BakeGame, javaMajor: Number(m[2]), layer: m[3] ?? '' }
}

/** Whether a baked template was made from the current layer files. */
export function isCurrentLayer(baked: BakedName): boolean {
  return BAKE_LAYERS[baked.game] === baked.layer
}
