/**
 * Extra vars as Ansible must never template them. Ansible templates every string variable when a
 * task uses it, so a game field such as a MOTD of `{{ lookup('pipe', 'id') }}` would run a
 * command on the runner host. Its JSON loader turns `{"__ansible_unsafe": "…"}` into an "unsafe"
 * string that is used as data and never templated
 * (https://docs.ansible.com/ansible/latest/playbook_guide/playbooks_advanced_syntax.html#unsafe-or-raw-strings),
 * and values computed from unsafe ones stay unsafe. Numbers, booleans and null stay plain: they
 * are not templated, and `when:` conditions and filters see them as they are.
 */

/** The JSON form of one unsafe string in Ansible's extra vars. */
export interface UnsafeString {
  __ansible_unsafe: string
}

/** Object keys stay plain strings in JSON: only names from code, never user text, may be keys. */
const SAFE_KEY = /^[A-Za-z0-9_.-]+$/

/**
 * Every string in `value` (however deep) as an unsafe string; numbers, booleans and null as they
 * are. Throws on a key that is not a plain name (letters, digits, `_`, `.`, `-`), since a key
 * cannot be marked, and on values JSON cannot carry (functions, undefined inside arrays…).
 */
export function markUnsafe(value: unknown, path = 'extra vars'): unknown {
  if (typeof value === 'string') return { __ansible_unsafe: value } satisfies UnsafeString
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${path} is not a finite number`)
    return value
  }
  if (typeof value === 'boolean' || value === null) return value
  if (Array.isArray(value)) return value.map((item, i) => markUnsafe(item, `${path}[${i}]`))
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) {
      if (!SAFE_KEY.test(key)) throw new Error(`${path} has a key Ansible could template: ${key}`)
      if (item === undefined) continue
      out[key] = markUnsafe(item, `${path}.${key}`)
    }
    return out
  }
  throw new Error(`${path} is a ${typeof value}, which extra vars cannot hold`)
}
