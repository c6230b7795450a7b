import * as z from 'zod'
import type { TextComponent } from './slp'

/**
 * The rules `readStatus` (slp.ts) checks by hand, as a zod schema: the runner does not import
 * this file; test/runner/slp.test.ts runs both over the same answers.
 */

const TextComponent: z.ZodType<TextComponent> = z.lazy(() =>
  z.union([
    z.string(),
    z.array(TextComponent),
    z.looseObject({ text: z.string().optional(), extra: z.array(TextComponent).optional() }),
  ]),
)

/** The status JSON as servers send it; only what we read is checked. */
export const StatusJson = z.looseObject({
  version: z.looseObject({ name: z.string(), protocol: z.number().int() }),
  players: z
    .looseObject({
      max: z.number().int(),
      online: z.number().int(),
      sample: z.array(z.looseObject({ name: z.string(), id: z.string() })).optional(),
    })
    .optional(),
  description: TextComponent.optional(),
  favicon: z.string().optional(),
})
