import { tmpdir } from 'node:os'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { FrameBody, LiveStatus, RunnerToServer, WatchTarget } from '../../core/protocol'
import type { Executors } from '../../runner/src/executors/types'
import { MinecraftVersionResolver } from '../../runner/src/games/minecraft-version'
import { selectExecutors } from '../../runner/src/executors'
import { Watcher } from '../../runner/src/jobs/watch'
import { loadConfig } from '../../runner/src/setup/config'
import { createLogger } from '../../runner/src/logger'
import { SIMULATED_RELEASES, serveGameUpstream } from '../pve-sim/game-upstream'

/**
 * The live status's "update available": the resolver reads the newest release from the
 * publishers (a loopback mirror that publishes a new one half-way), and the watcher adds it to
 * the status of a deployment that follows `latest`, never to a pinned one.
 */

const upstream = serveGameUpstream('127.0.0.1', SIMULATED_RELEASES.slice(0, -1))
afterAll(async () => (await upstream).close())

describe('the newest release of a channel', () => {
  it('follows the publishers: a new release shows once the cached list expires', async () => {
    const mirror = await upstream
    let now = 0
    const resolver = new MinecraftVersionResolver({
      userAgent: 'pgd-test',
      mojangManifestUrl: mirror.mojangManifestUrl,
      paperApiUrl: mirror.paperApiUrl,
      listTtlMs: 1_000,
      now: () => now,
    })
    expect(await resolver.latestVersion('vanilla')).toBe('26.1')
    expect(await resolver.latestVersion('paper')).toBe('26.1')
    mirror.publish('26.1.1')
    // Still the cached list within its TTL: a status round does not ask the publishers each time.
    expect(await resolver.latestVersion('vanilla')).toBe('26.1')
    now += 1_001
    expect(await resolver.latestVersion('vanilla')).toBe('26.1.1')
    expect(await resolver.latestVersion('paper')).toBe('26.1.1')
  })
})

describe("the runner's executors", () => {
  it('look the newest release up from the configured mirror, with the runner run as configured', async () => {
    const mirror = await upstream
    const loaded = loadConfig(
      {
        RUNNER_STATE_DIR: tmpdir(),
        RUNNER_EXECUTOR: 'real',
        RUNNER_PROVISIONER: 'simulated',
        RUNNER_MINECRAFT_MANIFEST_URL: mirror.mojangManifestUrl,
        RUNNER_PAPER_API_URL: mirror.paperApiUrl,
        RUNNER_VERSION_LIST_TTL_MS: '0',
      },
      ['run'],
    )
    if (!loaded.ok || loaded.config.command !== 'run') throw new Error(JSON.stringify(loaded))
    const executors = selectExecutors(loaded.config)
    const channel = { kind: 'minecraft-server', edition: 'vanilla', version: 'latest' } as const
    const signal = AbortSignal.timeout(10_000)
    // The first test published the last release.
    expect(await executors.latestVersion?.(channel, signal)).toBe(SIMULATED_RELEASES.at(-1))
  })
})

const watchers: Watcher[] = []
afterEach(() => {
  for (const w of watchers.splice(0)) w.stop()
})

const target = (deploymentId: string, follows: boolean): WatchTarget => ({
  deploymentId,
  vmid: 100,
  ipAddress: '127.0.0.1',
  game: 'minecraft',
  check: null,
  ...(follows
    ? { channel: { kind: 'minecraft-server', edition: 'paper', version: 'latest' } }
    : {}),
})

async function reportOf(latestVersion: Executors['latestVersion'], targets: WatchTarget[]) {
  const sent: FrameBody<RunnerToServer>[] = []
  const executors: Partial<Executors> = {
    async inspect(): Promise<LiveStatus> {
      return { checkedAt: Date.now(), power: 'running', game: null }
    },
    latestVersion,
  }
  const w = new Watcher({
    executors: executors as Executors,
    send: (f) => sent.push(f),
    log: createLogger('error', () => {}),
  })
  watchers.push(w)
  w.update({
    v: 1,
    type: 'watch',
    proxmox: { tokenSecret: 'x' } as never,
    statusIntervalMs: 60_000,
    sweepIntervalMs: 0,
    targets,
  })
  for (let i = 0; i < 200; i++) {
    const report = sent.find((f) => f.type === 'status.report')
    if (report?.type === 'status.report')
      return Object.fromEntries(report.statuses.map((s) => [s.deploymentId, s.status]))
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error('timed out waiting for a status report')
}

describe('the watcher', () => {
  it('names the newest release for a deployment that follows latest, not for a pinned one', async () => {
    const asked: string[] = []
    const statuses = await reportOf(
      async (channel) => {
        asked.push(channel.edition)
        return '26.1.1'
      },
      [target('follows', true), target('pinned', false)],
    )
    expect(statuses.follows?.latestVersion).toBe('26.1.1')
    expect(statuses.pinned).toBeDefined()
    expect(statuses.pinned?.latestVersion).toBeUndefined()
    expect(asked).toEqual(['paper'])
  })

  it('still reports the status when the publisher cannot be read, with no update offered', async () => {
    const statuses = await reportOf(async () => {
      throw new Error('fetch failed')
    }, [target('follows', true)])
    expect(statuses.follows?.power).toBe('running')
    expect(statuses.follows?.latestVersion).toBeUndefined()
  })
})
