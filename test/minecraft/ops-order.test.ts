import { describe, expect, it } from 'vitest'
import {
  MinecraftConfig,
  inHashMapOrder,
  javaStringHash,
  minecraft,
} from '../../core/games/minecraft'
import { offlineUuid } from '../../runner/src/games/minecraft-players'
import { ARTIFACT } from '../ansible/fixtures'

/**
 * ops.json in the order the vanilla server rewrites it at every start (a HashMap of the UUID
 * strings), so the playbook's next run finds the file as the server left it.
 */
describe('the operators’ order', () => {
  it('hashes as Java does, wrapping around 32 bits', () => {
    expect(javaStringHash('hello')).toBe(99_162_322)
    expect(javaStringHash('polygenelubricants')).toBe(-2_147_483_648)
    expect(javaStringHash('')).toBe(0)
  })

  it('lists the operators by hash bucket, the listed order within one', () => {
    const names = ['Zed_1', 'Alex_1', 'Admin_Bob', 'Steve', 'Old_Op', 'New_Op']
    const config = MinecraftConfig.parse({ eula: true, onlineMode: false, operators: names })
    const players = Object.fromEntries(
      names.map((name) => [name.toLowerCase(), { name, uuid: offlineUuid(name) }]),
    )
    const vars = minecraft.toAnsibleVars(config, {
      runnerAddress: null,
      artifact: ARTIFACT,
      secrets: {},
      players,
    })
    const ops = vars.minecraft_ops as { uuid: string; name: string }[]
    const bucket = (uuid: string) => {
      const h = javaStringHash(uuid)
      return (h ^ (h >>> 16)) & 15
    }
    const buckets = ops.map((o) => bucket(o.uuid))
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b))
    expect(ops.map((o) => o.name)).toEqual([
      'New_Op',
      'Old_Op',
      'Zed_1',
      'Admin_Bob',
      'Steve',
      'Alex_1',
    ])
    // Already in order: a fixed point, as the server's own rewrite is.
    expect(inHashMapOrder(ops)).toEqual(ops)
    // The whitelist keeps the form's order (the server does not rewrite it at start).
    expect((vars.minecraft_whitelist as { name: string }[]).map((p) => p.name)).toEqual(names)
  })
})
