import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { WatchTarget } from '../../core/protocol'
import { createWatchProbe } from '../../runner/src/executors/watch-probe'
import { PveSimulator } from '../pve-sim/index'
import { connectionFor, loopbackIp } from './helpers'

/** The watch path's Proxmox side: a round of status checks against the simulator. */

let sim: PveSimulator
beforeAll(async () => {
  sim = new PveSimulator()
  await sim.start()
})
afterAll(async () => {
  await sim.stop()
})

const target = (vmid: number): WatchTarget => ({
  deploymentId: `d-${vmid}`,
  vmid,
  ipAddress: loopbackIp(),
  game: 'minecraft',
  check: { kind: 'minecraft-slp', port: 25_565, expect: {}, timeoutMs: 1_000 },
})

describe('the watch probe', () => {
  it('checks a whole round over one kept-alive connection', async () => {
    const probe = createWatchProbe()
    const conn = connectionFor(sim)
    const before = sim.connections
    try {
      const powers: string[] = []
      // The template stands in for twenty stopped game VMs.
      for (let i = 0; i < 20; i++) {
        const status = await probe.inspect(
          conn,
          { ...target(9000), deploymentId: `d-${i}` },
          AbortSignal.timeout(10_000),
        )
        powers.push(status.power)
      }
      expect(new Set(powers)).toEqual(new Set(['stopped']))
      expect(sim.connections - before).toBe(1)
      // A VM that is gone reads as missing (Proxmox closes the connection after an error).
      expect((await probe.inspect(conn, target(4000), AbortSignal.timeout(10_000))).power).toBe(
        'missing',
      )
    } finally {
      probe.close()
    }
  })

  it('lets the connection go once idle, and opens a new one for new settings', async () => {
    const probe = createWatchProbe({ clientIdleMs: 20 })
    const conn = connectionFor(sim)
    const before = sim.connections
    try {
      await probe.inspect(conn, target(9000), AbortSignal.timeout(10_000))
      await new Promise((r) => setTimeout(r, 200))
      expect((await probe.inspect(conn, target(9000), AbortSignal.timeout(10_000))).power).toBe(
        'stopped',
      )
      expect(sim.connections - before).toBe(2)
      // A rotated token: the next check uses it, on a connection of its own.
      const wrong = { ...conn, tokenSecret: '00000000-0000-0000-0000-000000000000' }
      const refused = await probe.inspect(wrong, target(9000), AbortSignal.timeout(10_000))
      expect(refused).toMatchObject({
        power: 'unknown',
        error: expect.stringMatching(/^Proxmox: /),
      })
      expect(refused.error).not.toContain(wrong.tokenSecret)
      expect(sim.connections - before).toBe(3)
    } finally {
      probe.close()
    }
  })
})
