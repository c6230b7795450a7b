import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { NAMED_FORMATS } from './formats'

/**
 * Request validation generated from `pve-api-subset.json` (Proxmox's own API viewer data), with
 * PVE's error strings (pve-common `JSONSchema.pm`, docs/proxmox-api.md#requests and #errors). The simulator is
 * only useful if it is at least as strict as the real server.
 */

interface PropSchema {
  type?: string
  optional?: number
  minimum?: number | string
  maximum?: number | string
  maxLength?: number
  minLength?: number
  enum?: string[]
  pattern?: string
  format?: string | Record<string, PropSchema>
  default_key?: number
  alias?: string
  keyAlias?: string
}

const Prop: z.ZodType<PropSchema> = z.lazy(() =>
  z
    .object({
      type: z.string().optional(),
      optional: z.number().optional(),
      minimum: z.union([z.number(), z.string()]).optional(),
      maximum: z.union([z.number(), z.string()]).optional(),
      maxLength: z.number().optional(),
      minLength: z.number().optional(),
      // null in Proxmox's data where the list is computed at run time (download-url's
      // `compression`): any value then.
      enum: z
        .array(z.string())
        .nullable()
        .optional()
        .transform((v) => v ?? undefined),
      pattern: z.string().optional(),
      format: z.union([z.string(), z.record(z.string(), Prop)]).optional(),
      default_key: z.number().optional(),
      alias: z.string().optional(),
      keyAlias: z.string().optional(),
    })
    .loose(),
)

const Endpoint = z.object({
  path: z.string(),
  method: z.string(),
  allowtoken: z.number().optional(),
  parameters: z
    .object({ properties: z.record(z.string(), Prop).optional() })
    .loose()
    .optional(),
  /** The answer's schema; checked by returns.ts. */
  returns: z.unknown().optional(),
})
export type Endpoint = z.infer<typeof Endpoint>

const SchemaFile = z.object({ endpoints: z.record(z.string(), Endpoint) })

/**
 * The committed subset of Proxmox's API schema (`npm run pve:schema` makes it from pve-docs'
 * `api-viewer/apidata.js`; its `source` names the version), or $PVE_API_SCHEMA to try another.
 */
export function schemaPath(): string {
  return (
    process.env.PVE_API_SCHEMA ?? fileURLToPath(new URL('./pve-api-subset.json', import.meta.url))
  )
}

let cache: Record<string, Endpoint> | null = null

/** All endpoints of the subset, keyed `METHOD /path/{param}`. */
export function loadEndpoints(): Record<string, Endpoint> {
  if (cache) return cache
  cache = SchemaFile.parse(JSON.parse(readFileSync(schemaPath(), 'utf8'))).endpoints
  return cache
}

/** A decoded parameter: form values are strings; JSON bodies keep their types. */
export type ParamValue =
  string | number | boolean | null | ParamValue[] | { [k: string]: ParamValue }

/** Validate `params` (path parameters included) for `endpoint`; returns `{param: error}`. */
export function validateParams(
  endpoint: Endpoint,
  params: Record<string, ParamValue>,
): Record<string, string> {
  const props = endpoint.parameters?.properties ?? {}
  const errors: Record<string, string> = {}
  for (const [key, value] of Object.entries(params)) {
    const schema = lookupProp(props, key)
    if (!schema) {
      errors[key] =
        'property is not defined in schema and the schema does not allow additional properties'
      continue
    }
    const err = checkValue(key, schema, value)
    if (err !== null) errors[key] = err
  }
  for (const [key, schema] of Object.entries(props)) {
    if (key.endsWith('[n]') || schema.optional === 1) continue
    if (!(key in params)) errors[key] = 'property is missing and it is not optional'
  }
  return errors
}

/** `net0` → the `net[n]` schema (apidata collapses numbered families, see the JSON's notes). */
function lookupProp(props: Record<string, PropSchema>, key: string): PropSchema | undefined {
  if (Object.hasOwn(props, key)) return props[key]
  const m = /^([a-z_-]+?)(\d+)$/i.exec(key)
  return m ? props[`${m[1]}[n]`] : undefined
}

function checkValue(key: string, schema: PropSchema, value: ParamValue): string | null {
  if (Array.isArray(value) || (typeof value === 'object' && value !== null)) {
    return `type check ('${schema.type ?? 'string'}') failed - got ${Array.isArray(value) ? 'ARRAY' : 'HASH'}`
  }
  if (value === null) return null
  const text = String(value)
  switch (schema.type) {
    case 'boolean':
      // docs/proxmox-api.md#requests: form booleans must be 1/0; JSON true/false pass (JSON::is_bool).
      if (typeof value !== 'boolean' && text !== '1' && text !== '0') {
        return `type check ('boolean') failed - got '${text}'`
      }
      return null
    case 'integer':
      if (!/^-?\d+$/.test(text)) return `type check ('integer') failed - got '${text}'`
      return range(schema, Number(text))
    case 'number':
      if (!/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text))
        return `type check ('number') failed - got '${text}'`
      return range(schema, Number(text))
    default:
      break
  }
  if (schema.maxLength !== undefined && text.length > schema.maxLength) {
    return `value may only be ${schema.maxLength} characters long`
  }
  if (schema.minLength !== undefined && text.length < schema.minLength) {
    return `value must be at least ${schema.minLength} characters long`
  }
  if (schema.enum && !schema.enum.includes(text)) {
    return `value '${text}' does not have a value in the enumeration '${schema.enum.join(', ')}'`
  }
  if (schema.pattern && !new RegExp(`^(?:${perlRegex(schema.pattern)})$`).test(text)) {
    return 'value does not match the regex pattern'
  }
  if (typeof schema.format === 'string') {
    const verify = NAMED_FORMATS[schema.format]
    const err = verify ? verify(text) : null
    return err === null ? null : `invalid format - ${err}\n`
  }
  if (schema.format) {
    const err = checkPropertyString(key, schema.format, text)
    return err === null ? null : `invalid format - format error\n${err}\n`
  }
  return null
}

function range(schema: PropSchema, n: number): string | null {
  const min = schema.minimum === undefined ? undefined : Number(schema.minimum)
  const max = schema.maximum === undefined ? undefined : Number(schema.maximum)
  if (min !== undefined && !Number.isNaN(min) && n < min)
    return `value must have a minimum value of ${min}`
  if (max !== undefined && !Number.isNaN(max) && n > max)
    return `value must have a maximum value of ${max}`
  return null
}

/** Perl's `(?^:…)` (default flags group) → JS `(?:…)`. */
function perlRegex(p: string): string {
  return p.replace(/\(\?\^:/g, '(?:')
}

/** A property string such as `virtio,bridge=vmbr0,tag=20` against an inline format. */
function checkPropertyString(
  key: string,
  format: Record<string, PropSchema>,
  text: string,
): string | null {
  const defaultKey = Object.entries(format).find(([, s]) => s.default_key === 1)?.[0]
  const seen = new Map<string, string>()
  for (const part of text.split(',')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    let k = eq === -1 ? undefined : part.slice(0, eq)
    const v = eq === -1 ? part : part.slice(eq + 1)
    if (k === undefined) {
      if (defaultKey === undefined)
        return `${key}: value without key, but schema does not define a default key`
      k = defaultKey
    }
    const sub = format[k]
    if (!sub)
      return `${key}.${k}: property is not defined in schema and the schema does not allow additional properties`
    if (sub.alias && sub.keyAlias) {
      // `virtio=<mac>` is model=virtio + macaddr=<mac>.
      seen.set(sub.keyAlias, k)
      k = sub.alias
    } else if (sub.alias) {
      k = sub.alias
    }
    if (seen.has(k)) return `${key}.${k}: duplicate key in comma-separated list property`
    seen.set(k, v)
    const target = format[k]
    if (target) {
      const err = checkValue(k, target, v)
      if (err !== null) return `${key}.${k}: ${err.trim()}`
    }
  }
  for (const [k, s] of Object.entries(format)) {
    if (s.alias || s.optional === 1 || 'default' in s) continue
    if (!seen.has(k)) return `${key}.${k}: property is missing and it is not optional`
  }
  return null
}
