import { z } from 'zod'
import { loadEndpoints } from './schema'

/**
 * Checks the simulator's own answers against the `returns` schemas of the API schema it loads:
 * required fields are present and declared fields have the declared type. Extra fields are allowed:
 * PVE does not enforce its return schemas and real answers carry more (docs/proxmox-api.md#tasks).
 * PVE's documented JSON quirks (docs/proxmox-api.md#json-types) are allowed: booleans as 0/1,
 * nextid as a string.
 */

interface ReturnSchema {
  type?: string
  optional?: number
  properties?: Record<string, ReturnSchema>
  items?: ReturnSchema
}

const Return: z.ZodType<ReturnSchema> = z.lazy(() =>
  z
    .object({
      type: z.string().optional(),
      optional: z.number().optional(),
      properties: z.record(z.string(), Return).optional(),
      items: Return.optional(),
    })
    .loose(),
)

/** Endpoints whose answers differ from their schema (docs/proxmox-api.md#json-types). */
const QUIRKS: Record<string, (data: unknown) => boolean> = {
  'GET /cluster/nextid': (d) => typeof d === 'string' && /^\d+$/.test(d),
}

/** Problems with `data` as the answer of `endpoint` (empty when it conforms). */
export function checkReturn(endpoint: string, data: unknown): string[] {
  const ep = loadEndpoints()[endpoint]
  const quirk = QUIRKS[endpoint]
  if (quirk?.(data)) return []
  const schema = Return.safeParse(ep?.returns ?? {})
  if (!schema.success) return [`no usable returns schema for ${endpoint}`]
  const problems: string[] = []
  check(schema.data, data, 'data', problems)
  return problems
}

function check(s: ReturnSchema, v: unknown, where: string, out: string[]): void {
  if (v === null || v === undefined) {
    if (s.type !== undefined && s.type !== 'null') out.push(`${where}: null, schema says ${s.type}`)
    return
  }
  switch (s.type) {
    case 'string':
      if (typeof v !== 'string') out.push(`${where}: ${typeof v}, schema says string`)
      return
    case 'integer':
      if (!Number.isInteger(v)) out.push(`${where}: ${JSON.stringify(v)}, schema says integer`)
      return
    case 'number':
      if (typeof v !== 'number') out.push(`${where}: ${typeof v}, schema says number`)
      return
    case 'boolean':
      if (v !== 0 && v !== 1 && typeof v !== 'boolean')
        out.push(`${where}: ${JSON.stringify(v)}, schema says boolean`)
      return
    case 'array':
      if (!Array.isArray(v)) out.push(`${where}: not an array`)
      else if (s.items) v.forEach((item, i) => check(s.items ?? {}, item, `${where}[${i}]`, out))
      return
    case 'object': {
      if (typeof v !== 'object' || Array.isArray(v)) {
        out.push(`${where}: not an object`)
        return
      }
      const obj = v as Record<string, unknown>
      const props = s.properties ?? {}
      for (const [k, sub] of Object.entries(props)) {
        if (!k.endsWith('[n]') && sub.optional !== 1 && !(k in obj))
          out.push(`${where}.${k}: missing`)
      }
      for (const [k, value] of Object.entries(obj)) {
        const m = /^([a-z_-]+?)(\d+)$/i.exec(k)
        const sub = props[k] ?? (m ? props[`${m[1]}[n]`] : undefined)
        // Real answers carry fields the schema omits, e.g. `tokenid` in task status
        // (docs/proxmox-api.md#tasks).
        if (sub) check(sub, value, `${where}.${k}`, out)
      }
      return
    }
    default:
      return
  }
}
