import { describe, expect, it } from 'vitest'
import type { ZodType } from 'zod'
import * as schema from '../../runner/src/proxmox/answers-schema'
import {
  nextIdOf,
  qemuListOf,
  taskLogOf,
  taskStatusOf,
  vmStatusOf,
} from '../../runner/src/proxmox/answers'
import { componentText, readStatus } from '../../runner/src/games/slp'
import { StatusJson } from '../../runner/src/games/slp-schema'

/**
 * The answers a runner between jobs reads (Proxmox's VM status and VM list, a Minecraft server's
 * status) are checked by hand so it loads no zod. Each check must agree with the zod schema it
 * stands for: the same value when accepted, a refusal when refused.
 */

function agree(check: (raw: unknown) => unknown, zod: ZodType, inputs: unknown[]): void {
  for (const input of inputs) {
    const expected = zod.safeParse(input)
    const what = JSON.stringify(input)
    if (expected.success) expect(check(input), what).toEqual(expected.data)
    else expect(() => check(input), what).toThrow()
  }
}

const VM = { status: 'running', lock: 'clone', template: 0, name: 'gs-x', tags: 'pgd;pgd-d1' }

describe("Proxmox's answers, checked by hand", () => {
  it('a VM status', () => {
    agree(vmStatusOf, schema.VmStatus, [
      VM,
      { status: 'stopped' },
      { ...VM, template: true },
      { ...VM, template: '1' },
      { ...VM, lock: 3 },
      { ...VM, extra: 'dropped', cpus: 2 },
      { ...VM, status: undefined },
      { status: 5 },
      [],
      null,
      'running',
    ])
  })

  it('the node’s VM list', () => {
    agree(qemuListOf, schema.QemuList, [
      [],
      [{ ...VM, vmid: 101 }],
      [{ ...VM, vmid: '101' }],
      [{ ...VM, vmid: '10a' }],
      [{ ...VM, vmid: 1.5 }],
      [{ ...VM, vmid: 101, name: null }],
      [{ vmid: 100, status: 'stopped' }, { vmid: 101 }],
      [null],
      { 0: VM },
    ])
  })

  it('a task status, its log and the next free id', () => {
    agree(taskStatusOf, schema.TaskStatus, [
      { status: 'running' },
      { status: 'stopped', exitstatus: 'OK', pid: 5 },
      { status: 'stopped', exitstatus: 1 },
      { status: 'done' },
      null,
    ])
    agree(taskLogOf, schema.TaskLog, [[], [{ n: 1, t: 'x', extra: 1 }], [{ n: '1', t: 'x' }], {}])
    agree(nextIdOf, schema.NextId, ['100', 100, '1e3', '', 100.5, -1, null, ' 100'])
  })
})

describe("a Minecraft server's status, checked by hand", () => {
  const STATUS = {
    version: { name: 'Paper 1.21.4', protocol: 769 },
    players: { max: 20, online: 1, sample: [{ name: 'Steve', id: 'u-1' }] },
    description: { text: 'A ', extra: ['§aMinecraft', [' server'], { text: '!' }] },
    favicon: 'data:image/png;base64,AA',
  }
  it('reads what the schema reads, and refuses what it refuses', () => {
    const fromSchema = (raw: unknown) => {
      const s = StatusJson.parse(raw)
      return {
        version: s.version.name,
        protocol: s.version.protocol,
        motd: componentText(s.description),
        playersOnline: s.players?.online ?? 0,
        playersMax: s.players?.max ?? 0,
      }
    }
    const inputs: unknown[] = [
      STATUS,
      { version: STATUS.version },
      { ...STATUS, description: 'plain' },
      { ...STATUS, description: ['a', { extra: ['b'] }] },
      { ...STATUS, description: { text: 5 } },
      { ...STATUS, description: { extra: 'x' } },
      { ...STATUS, description: 7 },
      { ...STATUS, players: { max: 20 } },
      { ...STATUS, players: { max: 20, online: 0, sample: [{ name: 'x' }] } },
      { ...STATUS, players: null },
      { ...STATUS, favicon: 1 },
      { ...STATUS, version: { name: '1.21', protocol: 1.5 } },
      { ...STATUS, version: { name: 1, protocol: 1 } },
      { players: STATUS.players },
      [],
      null,
    ]
    for (const input of inputs) {
      const what = JSON.stringify(input)
      let expected: ReturnType<typeof fromSchema> | null
      try {
        expected = fromSchema(input)
      } catch {
        expected = null
      }
      if (expected) expect(readStatus(input), what).toEqual(expected)
      else expect(() => readStatus(input), what).toThrow()
    }
    expect(readStatus(STATUS).motd).toBe('A §aMinecraft server!')
  })
})
