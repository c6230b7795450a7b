import { afterEach, beforeAll } from 'vitest'
import { FakeServer } from './fake-server'
import {
  killAllRunners,
  removeDirs,
  runnerBundle,
  runnerEnv,
  startRunner,
  tempDir,
  waitFor,
} from './harness'
import type { RunnerProcess } from './harness'

export interface StartOptions {
  /** Extra RUNNER_* variables. */
  env?: Record<string, string>
  /** Set up the server before the runner connects. */
  configure?: (server: FakeServer) => void
  /** Wait for the runner's hello (default true). */
  waitHello?: boolean
}

/**
 * Registers the hooks every runner process test needs (bundle once; after each test kill every
 * runner, close every server, remove every temp dir, even when the test failed) and returns
 * helpers bound to them.
 */
export function useRunnerFixture() {
  const servers: FakeServer[] = []
  const dirs: string[] = []

  beforeAll(async () => {
    await runnerBundle()
  }, 60_000)

  afterEach(async () => {
    await killAllRunners()
    for (const s of servers.splice(0)) await s.close()
    removeDirs(dirs)
  })

  const fixture = {
    /** A loopback fake server on port 0. */
    async server(): Promise<FakeServer> {
      const server = await new FakeServer().listen()
      servers.push(server)
      return server
    },
    /** A temp dir, removed after the test. */
    dir(): string {
      const dir = tempDir()
      dirs.push(dir)
      return dir
    },
    /** A server, a state dir and a runner with fake executors connected to them. */
    async start(
      opts: StartOptions = {},
    ): Promise<{ server: FakeServer; runner: RunnerProcess; dir: string }> {
      const server = await fixture.server()
      opts.configure?.(server)
      const dir = fixture.dir()
      const runner = await startRunner(['run'], runnerEnv(server.url, dir, opts.env))
      if (opts.waitHello ?? true)
        await waitFor(() => server.hellos.length > 0, 'the runner says hello')
      return { server, runner, dir }
    },
  }
  return fixture
}
