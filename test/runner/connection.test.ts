import { describe, expect, it } from 'vitest'
import { CLOSE } from '../../core/protocol'
import type { FakeServer } from './fake-server'
import { useRunnerFixture } from './fixture'
import { exitOf, waitFor } from './harness'

const fixture = useRunnerFixture()
const setup = (configure: (s: FakeServer) => void = () => {}, env: Record<string, string> = {}) =>
  fixture.start({ configure, env, waitHello: false })

describe('runner control connection', () => {
  it('says hello with its ed25519 public key, maxJobs and no active job', async () => {
    const { server } = await setup(() => {}, { RUNNER_MAX_JOBS: '3' })
    const hello = await waitFor(() => server.hellos[0], 'hello')
    expect(hello.sshPublicKey).toMatch(
      /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} \S+$/,
    )
    expect(hello).toMatchObject({ maxJobs: 3, activeJobs: [] })
  })

  it('sends ping heartbeats on the control socket', async () => {
    const { server } = await setup(() => {}, { RUNNER_HEARTBEAT_INTERVAL_MS: '100' })
    await waitFor(() => server.pings >= 3, 'three pings')
  })

  it('reconnects with growing delays while the server keeps dropping it', async () => {
    const { server, runner } = await setup((s) => (s.dropControl = true), {
      RUNNER_BACKOFF_BASE_MS: '40',
      RUNNER_BACKOFF_MAX_MS: '5000',
    })
    await waitFor(() => server.controlConnections >= 5, 'five connection attempts', 15_000)
    const delays = [
      ...runner.stdout().matchAll(/control: disconnected .*reconnecting in (\d+) ms/g),
    ].map((m) => Number(m[1]))
    expect(delays.length).toBeGreaterThanOrEqual(4)
    const firstFour = delays.slice(0, 4)
    expect(firstFour).toEqual([...firstFour].sort((a, b) => a - b))
    expect(firstFour[3]).toBeGreaterThan(firstFour[0] ?? 0)
  })

  it('never waits longer than the backoff cap between attempts', async () => {
    const { server, runner } = await setup((s) => (s.dropControl = true), {
      RUNNER_BACKOFF_BASE_MS: '10',
      RUNNER_BACKOFF_MAX_MS: '80',
    })
    await waitFor(() => server.controlConnections >= 8, 'eight connection attempts', 15_000)
    const delays = [...runner.stdout().matchAll(/reconnecting in (\d+) ms/g)].map((m) =>
      Number(m[1]),
    )
    expect(Math.max(...delays)).toBeLessThanOrEqual(80)
  })

  it('reconnects when the server stops answering heartbeats', async () => {
    const { server, runner } = await setup((s) => (s.answerPings = false), {
      RUNNER_HEARTBEAT_INTERVAL_MS: '100',
    })
    await waitFor(() => server.controlConnections >= 2, 'a second control connection')
    expect(runner.stdout()).toMatch(/control: no answer for 3 heartbeats, reconnecting/)
  })

  it('stops with exit code 2 and a clear message when the upgrade answers 401', async () => {
    const { runner } = await setup((s) => (s.upgradeStatus = 401))
    expect(await exitOf(runner, 'the runner exits')).toBe(2)
    expect(runner.stdout()).toMatch(/refused this runner .*HTTP 401.*register it again/)
  })

  it('stops with exit code 2 when the server closes the socket as revoked', async () => {
    const { server, runner } = await setup()
    await waitFor(() => server.hellos[0], 'hello')
    server.closeControl(CLOSE.REVOKED)
    expect(await exitOf(runner, 'the runner exits')).toBe(2)
    expect(runner.stdout()).toMatch(/revoked/)
  })

  it('exits with code 3 when another process of the same runner replaces it', async () => {
    const { server, runner } = await setup()
    await waitFor(() => server.hellos[0], 'hello')
    server.closeControl(CLOSE.REPLACED)
    expect(await exitOf(runner, 'the runner exits')).toBe(3)
    expect(runner.stdout()).toMatch(/another process of this runner/)
  })

  it('never prints its runner key', async () => {
    const { server, runner } = await setup(() => {}, { RUNNER_HEARTBEAT_INTERVAL_MS: '100' })
    await waitFor(() => server.pings >= 1, 'a ping')
    expect(runner.stdout()).not.toContain(server.key)
  })
})
