import * as z from 'zod'
import type { Lang } from './games/types'
import { plainIssue } from './validation-text'

/**
 * Turns a game's zod config schema into a list of form fields, so the dashboard's "new
 * deployment" form is generated from the same schema the API validates with: the two never
 * disagree, and a new game gets its form for free. The schema goes through `z.toJSONSchema`,
 * whose output is a plain, documented shape (types, enums, bounds, defaults). What the form says
 * about each field (label, help, option labels) comes from the game's `texts`, in the
 * dashboard's language.
 */

/** `list`: several short texts (player names), typed one per line or separated by commas. */
export type FormFieldKind = 'boolean' | 'integer' | 'number' | 'string' | 'enum' | 'list'

export interface FormField {
  key: string
  kind: FormFieldKind
  /** Enum options, in schema order. */
  options?: string[]
  minimum?: number
  maximum?: number
  maxLength?: number
  /** A list's largest number of items. */
  maxItems?: number
  default?: unknown
  /** No default and not optional: the admin must give a value (e.g. the EULA). */
  required: boolean
  /** Folded under "Advanced" in the form. */
  advanced: boolean
  /** A secret the admin types (the game's `sensitiveFields`): masked while typed. */
  sensitive: boolean
}

interface JsonProp {
  type?: string | string[]
  enum?: unknown[]
  minimum?: number
  maximum?: number
  maxLength?: number
  maxItems?: number
  items?: JsonProp
  default?: unknown
}

function kindOf(prop: JsonProp): FormFieldKind | null {
  if (Array.isArray(prop.enum) && prop.enum.every((v) => typeof v === 'string')) return 'enum'
  const type = Array.isArray(prop.type) ? prop.type.find((t) => t !== 'null') : prop.type
  if (type === 'array' && prop.items?.type === 'string') return 'list'
  switch (type) {
    case 'boolean':
    case 'integer':
    case 'number':
    case 'string':
      return type
    default:
      return null
  }
}

/**
 * The fields of an object schema, in declaration order. Properties the form cannot render (nested
 * objects, arrays of anything but text) are left out; the API still validates them and applies their defaults.
 */
export function formFields(
  schema: z.ZodType,
  advancedFields: readonly string[],
  sensitiveFields: readonly string[] = [],
): FormField[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, JsonProp>
    required?: string[]
  }
  const required = new Set(json.required ?? [])
  const advanced = new Set(advancedFields)
  const sensitive = new Set(sensitiveFields)
  const fields: FormField[] = []
  for (const [key, prop] of Object.entries(json.properties ?? {})) {
    const kind = kindOf(prop)
    if (!kind) continue
    fields.push({
      key,
      kind,
      options: kind === 'enum' ? (prop.enum as string[]) : undefined,
      minimum: prop.minimum,
      maximum: prop.maximum,
      maxLength: prop.maxLength,
      maxItems: prop.maxItems,
      default: prop.default,
      required: required.has(key) && prop.default === undefined,
      advanced: advanced.has(key),
      sensitive: sensitive.has(key),
    })
  }
  return fields
}

/**
 * Field errors by dotted path (`memoryMb`, `rconPort`), the first message for each, in plain
 * words in `lang` ("at most 131,072 MiB").
 */
export function fieldErrors(error: z.ZodError, lang: Lang = 'en'): Record<string, string> {
  const out: Record<string, string> = {}
  for (const issue of error.issues) {
    const path = issue.path.map(String)
    out[path.join('.')] ??= plainIssue(issue, lang, path.at(-1))
  }
  return out
}
