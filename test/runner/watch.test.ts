import type { AddressInfo } from 'node:net'
import { inspect } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import type {
  FrameBody,
  LiveStatus,
  RunnerToServer,
  ServerToRunner,
  WatchTarget,
} from '../../core/protocol'
import type { Executors } from '../../runner/src/executors/types'
import { probeGame } from '../../runner/src/games/probe'
import { createLogger } from '../../runner/src/logger'
import { Watcher } from '../../runner/src/jobs/watch'
import { listenMinecraft } from '../pve-sim/game-responder'

type WatchFrame = Extract<ServerToRunner, { type: 'watch' }>
const TOKEN_SECRET = 'watch0000-1111-2222-3333-444455556666'

const target = (deploymentId: string, port = 25_565): WatchTarget => ({
  deploymentId,
  vmid: 100,
  ipAddress: '127.0.0.1',
  game: 'minecraft',
  // As the hub sends it: the game's own check, worked out from the stored config.
  check: {
    kind: 'minecraft-slp',
    port,
    expect: { motd: 'set at deploy time', maxPlayers: 20 },
    timeoutMs: 30_000,
  },
})

const frame = (targets: WatchTarget[], sweepIntervalMs = 0): WatchFrame =>
  ({
    v: 1,
    type: 'watch',
    // Only what the watcher reads; the executors below are fakes.
    proxmox: { tokenSecret: TOKEN_SECRET } as WatchFrame['proxmox'],
    statusIntervalMs: 60_000,
    sweepIntervalMs,
    targets,
  }) as WatchFrame

const watchers: Watcher[] = []
afterEach(() => {
  for (const w of watchers.splice(0)) w.stop()
})

function makeWatcher(executors: Partial<Executors>) {
  const sent: FrameBody<RunnerToServer>[] = []
  const logs: string[] = []
  const w = new Watcher({
    executors: executors as Executors,
    send: (f) => sent.push(f),
    log: createLogger('debug', (l) => logs.push(l)),
  })
  watchers.push(w)
  return { w, sent, logs }
}

async function until<T>(what: string, test: () => T | undefined | false): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = test()
    if (v) return v
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('the game probe of the live status', () => {
  it('reports version and players from a server that answers the Server List Ping', async () => {
    const server = listenMinecraft('127.0.0.1', 0, 'probe me', (err) => {
      throw err
    })
    await new Promise<void>((r) => server.once('listening', r))
    try {
      const port = (server.address() as AddressInfo).port
      const probe = await probeGame(target('d1', port), AbortSignal.timeout(10_000))
      expect(probe).toMatchObject({
        online: true,
        version: '1.21.5 (simulated)',
        motd: 'probe me',
        players: { online: 0, max: 20 },
      })
    } finally {
      server.close()
    }
  })

  it('says the game is unreachable, and why, when nothing answers', async () => {
    const server = listenMinecraft('127.0.0.1', 0, 'gone', () => {})
    await new Promise<void>((r) => server.once('listening', r))
    const port = (server.address() as AddressInfo).port
    await new Promise<void>((r) => server.close(() => r()))
    const probe = await probeGame(target('d1', port), AbortSignal.timeout(10_000))
    expect(probe.online).toBe(false)
    if (!probe.online) expect(probe.error).toMatch(/ECONNREFUSED|refused/)
  })

  it('says so when the hub had no check to send (the stored config no longer validates)', async () => {
    const probe = await probeGame({ ...target('d1'), check: null }, AbortSignal.timeout(1_000))
    expect(probe).toEqual({
      online: false,
      error: 'the stored config of this minecraft server is not valid',
    })
  })
})

describe('the watcher', () => {
  it('checks every target at once on a new list and reports the round', async () => {
    const inspected: string[] = []
    const { w, sent } = makeWatcher({
      async inspect(_p, t): Promise<LiveStatus> {
        inspected.push(t.deploymentId)
        return { checkedAt: Date.now(), power: 'stopped', game: null }
      },
    })
    w.update(frame([target('a'), target('b'), target('c')]))
    const report = await until('a status report', () =>
      sent.find((f) => f.type === 'status.report'),
    )
    expect(inspected.sort()).toEqual(['a', 'b', 'c'])
    if (report.type !== 'status.report') throw new Error('unreachable')
    expect(report.statuses.map((s) => s.deploymentId).sort()).toEqual(['a', 'b', 'c'])
  })

  it('turns a failing check into "unknown" with the reason, never leaking the token secret', async () => {
    const { w, sent } = makeWatcher({
      async inspect() {
        throw new Error(`401 for PVEAPIToken=deployer@pve!pgd=${TOKEN_SECRET}`)
      },
    })
    w.update(frame([target('a')]))
    const report = await until('a status report', () =>
      sent.find((f) => f.type === 'status.report'),
    )
    const text = JSON.stringify(report)
    expect(text).toContain('"power":"unknown"')
    expect(text).toContain('401 for PVEAPIToken')
    expect(text).not.toContain(TOKEN_SECRET)
  })

  it('reports only what is still watched when the list changes during a round', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => (release = r))
    const { w, sent } = makeWatcher({
      async inspect(_p, t): Promise<LiveStatus> {
        await gate
        return { checkedAt: Date.now(), power: 'running', game: null, error: t.deploymentId }
      },
    })
    w.update(frame([target('a'), target('b')]))
    // b is destroyed meanwhile: the hub sends the new list; the running round is not doubled.
    w.update(frame([target('a')]))
    release()
    const report = await until('a status report', () =>
      sent.find((f) => f.type === 'status.report'),
    )
    if (report.type !== 'status.report') throw new Error('unreachable')
    expect(report.statuses.map((s) => s.deploymentId)).toEqual(['a'])
  })

  it('stops both loops and lets go of the token when the hub takes its work away', async () => {
    let inspections = 0
    let sweeps = 0
    const { w, sent } = makeWatcher({
      async inspect(): Promise<LiveStatus> {
        inspections++
        return { checkedAt: Date.now(), power: 'running', game: null }
      },
      async listProductVms() {
        sweeps++
        return []
      },
    })
    w.update(frame([target('a')], 60_000))
    await until('a status and a sweep report', () => sent.length >= 2)
    expect(inspect(w, { depth: 10 })).toContain(TOKEN_SECRET)
    // Nothing to watch or sweep any more: the list comes without the connection.
    w.update({ ...frame([]), proxmox: null })
    await w.statusRound()
    await w.sweep()
    expect([inspections, sweeps]).toEqual([1, 1])
    expect(inspect(w, { depth: 10 })).not.toContain(TOKEN_SECRET)
  })

  it('sweeps only when asked, and reports the VMs it found', async () => {
    const vms = [{ vmid: 105, name: 'gs-x', status: 'running', deploymentId: 'x' }]
    let sweeps = 0
    const { w, sent } = makeWatcher({
      inspect: async () => ({ checkedAt: Date.now(), power: 'running', game: null }),
      async listProductVms() {
        sweeps++
        return vms
      },
    })
    w.update(frame([]))
    await new Promise((r) => setTimeout(r, 50))
    expect(sweeps).toBe(0)
    w.update(frame([], 60_000))
    const report = await until('a sweep report', () => sent.find((f) => f.type === 'sweep.report'))
    expect(report).toMatchObject({ type: 'sweep.report', vms })
    expect(sweeps).toBe(1)
  })
})
