import * as z from 'zod'
import { TEMPLATE_MARKER_MESSAGE, hasNoTemplateMarker } from './free-text'

/**
 * Valheim dedicated server deployment config, as the admin fills it in. Every field becomes a
 * command-line flag of `valheim_server.x86_64` (Valheim has no config file): `-name`, `-world`,
 * `-password`, `-public`, `-port`, `-saveinterval`, `-backups`, `-preset`, `-modifier`.
 * Sources: Iron Gate's start_server.sh shipped with app 896660 ("Minimum password length is 5
 * characters & Password cant be in the server name"), the Valheim wiki's dedicated-server and
 * world-modifier pages. What the form says about each field, in every language, is in
 * `./valheim-texts.ts`.
 */

/** Control characters would break the unit's environment file (one variable per line). */
const NO_CONTROL_CHARS = /^[^\p{Cc}]*$/u

/** Valheim refuses to start with a shorter password. */
export const VALHEIM_MIN_PASSWORD_LENGTH = 5

/**
 * The documented minimum is 4 GiB (Valheim wiki, "Hosting Servers": 2 cores, 4 GB; 6 GB
 * recommended): a fresh world alone takes about 2 GiB, each area players are in 100–300 MiB more.
 */
export const VALHEIM_MIN_MEMORY_MB = 4096

/** World presets (`-preset`, since the Hildir's Request update); `normal` passes no flag. */
export const ValheimPreset = z.enum([
  'normal',
  'casual',
  'easy',
  'hard',
  'hardcore',
  'immersive',
  'hammer',
])
export type ValheimPreset = z.infer<typeof ValheimPreset>

/** One `-modifier <name> <value>` each; `normal` passes no flag. */
export const ValheimCombat = z.enum(['veryeasy', 'easy', 'normal', 'hard', 'veryhard'])
export const ValheimDeathPenalty = z.enum([
  'casual',
  'veryeasy',
  'easy',
  'normal',
  'hard',
  'hardcore',
])
export const ValheimResources = z.enum(['muchless', 'less', 'normal', 'more', 'muchmore', 'most'])
export const ValheimRaids = z.enum(['none', 'muchless', 'less', 'normal', 'more', 'muchmore'])
export const ValheimPortals = z.enum(['casual', 'normal', 'hard', 'veryhard'])

/** Case-insensitive "one contains the other", the way players trip over Valheim's rule. */
function overlaps(a: string, b: string): boolean {
  const x = a.toLowerCase()
  const y = b.toLowerCase()
  return x.length > 0 && y.length > 0 && (x.includes(y) || y.includes(x))
}

export const ValheimConfig = z
  .object({
    serverName: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(64)
      .regex(NO_CONTROL_CHARS, 'must be a single line')
      .refine(hasNoTemplateMarker, TEMPLATE_MARKER_MESSAGE)
      .default('My Valheim server'),
    worldName: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(32)
      .regex(/^[A-Za-z0-9_-]*$/, 'may hold only letters, digits, - and _ (it names the save files)')
      .refine(hasNoTemplateMarker, TEMPLATE_MARKER_MESSAGE)
      .default('Dedicated'),
    password: z
      .string()
      .min(
        VALHEIM_MIN_PASSWORD_LENGTH,
        `must be at least ${VALHEIM_MIN_PASSWORD_LENGTH} characters: Valheim refuses to start with a shorter one`,
      )
      .max(64)
      .regex(NO_CONTROL_CHARS, 'must be a single line')
      .refine(hasNoTemplateMarker, TEMPLATE_MARKER_MESSAGE),
    public: z.boolean().default(false),
    memoryMb: z
      .number()
      .int()
      .min(VALHEIM_MIN_MEMORY_MB)
      .max(131_072)
      .default(VALHEIM_MIN_MEMORY_MB),
    cores: z.number().int().min(2).max(64).default(2),
    diskGb: z.number().int().min(12).max(2048).default(20),
    gamePort: z.number().int().min(1024).max(65_534).default(2456),
    saveIntervalS: z.number().int().min(60).max(86_400).default(1800),
    backups: z.number().int().min(1).max(100).default(4),
    preset: ValheimPreset.default('normal'),
    combat: ValheimCombat.default('normal'),
    deathPenalty: ValheimDeathPenalty.default('normal'),
    resources: ValheimResources.default('normal'),
    raids: ValheimRaids.default('normal'),
    portals: ValheimPortals.default('normal'),
  })
  .superRefine((c, ctx) => {
    // start_server.sh: "Password cant be in the server name"; hosts report the world name too.
    // Refuse both, either way round, ignoring case: a config that passes here starts.
    if (overlaps(c.password, c.serverName)) {
      ctx.addIssue({
        code: 'custom',
        path: ['password'],
        message: 'must not contain the server name, nor be part of it: Valheim refuses to start',
      })
    } else if (overlaps(c.password, c.worldName)) {
      ctx.addIssue({
        code: 'custom',
        path: ['password'],
        message: 'must not contain the world name, nor be part of it: Valheim refuses to start',
      })
    }
  })
export type ValheimConfig = z.infer<typeof ValheimConfig>

/** Keys the generated form folds under "Advanced". */
export const VALHEIM_ADVANCED_FIELDS = [
  'cores',
  'diskGb',
  'gamePort',
  'saveIntervalS',
  'backups',
  'combat',
  'deathPenalty',
  'resources',
  'raids',
  'portals',
] as const satisfies readonly (keyof ValheimConfig)[]

/** Config keys whose values are secrets (`GameModule.sensitiveFields`). */
export const VALHEIM_SENSITIVE_FIELDS = [
  'password',
] as const satisfies readonly (keyof ValheimConfig)[]
