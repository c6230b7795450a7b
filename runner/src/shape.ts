/**
 * Small hand checks for JSON the watch path reads (watch frames, Proxmox's answers, a game's
 * status), so a runner between jobs does not load zod (~5 MB of its memory with the schemas). Each
 * check has the zod schema it stands for beside it (`*-schema.ts`); the tests run both over the
 * same inputs and fail on any difference.
 */

export type JsonObject = Record<string, unknown>

/** A value that is not what the check expects; `path` names the field, as zod's issues do. */
export class ShapeError extends Error {
  override readonly name = 'ShapeError'
  constructor(readonly path: string) {
    super(`unexpected value at ${path || 'the top level'}`)
  }
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export const isString = (v: unknown): v is string => typeof v === 'string'
export const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
export const isInt = (v: unknown): v is number => Number.isSafeInteger(v)
export const isBool = (v: unknown): v is boolean => typeof v === 'boolean'

/** Throws a {@link ShapeError} at `path` unless `ok`. */
export function need(ok: boolean, path: string): asserts ok {
  if (!ok) throw new ShapeError(path)
}

/** `from[key]` when it passes `test`, else a {@link ShapeError} naming it. */
export function field<T>(
  from: JsonObject,
  key: string,
  test: (v: unknown) => v is T,
  path: string,
): T {
  const v = from[key]
  need(test(v), path ? `${path}.${key}` : key)
  return v
}

/** Copies `from[key]` into `into` when present (absent or undefined: left out), checked by `test`. */
export function optional<T>(
  from: JsonObject,
  key: string,
  test: (v: unknown) => v is T,
  path: string,
  into: JsonObject,
): void {
  if (from[key] === undefined) return
  into[key] = field(from, key, test, path)
}
