import { isBool, isInt, isNumber, isObject, isString, need, optional } from '../shape'
import { field, type JsonObject } from '../shape'

/**
 * Proxmox's answers the runner reads, checked by hand (`shape.ts`): a VM's status and the node's
 * VM list are read by every status round and sweep of a runner between jobs, which loads no zod.
 * The zod schemas they stand for are in answers-schema.ts; test/proxmox/answers.test.ts holds the
 * two together.
 */

export interface VmStatus {
  status: string
  lock?: string
  template?: number | boolean
  name?: string
  tags?: string
}

export interface QemuListEntry extends VmStatus {
  vmid: number
}

const isNumberOrBool = (v: unknown): v is number | boolean => isNumber(v) || isBool(v)
const isDigits = (v: unknown): v is string => isString(v) && /^\d+$/.test(v)

function vmFields(raw: JsonObject, path: string, into: JsonObject): void {
  into.status = field(raw, 'status', isString, path)
  optional(raw, 'lock', isString, path, into)
  optional(raw, 'template', isNumberOrBool, path, into)
  optional(raw, 'name', isString, path, into)
  optional(raw, 'tags', isString, path, into)
}

/** `GET …/qemu/{vmid}/status/current`. */
export function vmStatusOf(raw: unknown): VmStatus {
  need(isObject(raw), '')
  const out: JsonObject = {}
  vmFields(raw, '', out)
  return out as unknown as VmStatus
}

/** `GET /nodes/{node}/qemu`; `vmid` as a number (some versions send a string). */
export function qemuListOf(raw: unknown): QemuListEntry[] {
  need(Array.isArray(raw), '')
  return raw.map((vm: unknown, i) => {
    const path = String(i)
    need(isObject(vm), path)
    const id = vm.vmid
    need(isNumber(id) || isDigits(id), `${path}.vmid`)
    const out: JsonObject = { vmid: typeof id === 'string' ? Number(id) : id }
    vmFields(vm, path, out)
    return out as unknown as QemuListEntry
  })
}

export interface TaskStatus {
  status: 'running' | 'stopped'
  exitstatus?: string
}

/** `GET …/tasks/{upid}/status`. */
export function taskStatusOf(raw: unknown): TaskStatus {
  need(isObject(raw), '')
  const status = raw.status
  need(status === 'running' || status === 'stopped', 'status')
  const out: JsonObject = { status }
  optional(raw, 'exitstatus', isString, '', out)
  return out as unknown as TaskStatus
}

/** `GET …/tasks/{upid}/log`. */
export function taskLogOf(raw: unknown): { n: number; t: string }[] {
  need(Array.isArray(raw), '')
  return raw.map((line: unknown, i) => {
    need(isObject(line), String(i))
    return { n: field(line, 'n', isNumber, String(i)), t: field(line, 't', isString, String(i)) }
  })
}

/**
 * `GET /cluster/nextid`: a JSON string on real servers, an integer per the schema: both are
 * accepted (docs/proxmox-api.md#json-types).
 */
export function nextIdOf(raw: unknown): number {
  if (isDigits(raw)) return Number(raw)
  need(isInt(raw), '')
  return raw
}
