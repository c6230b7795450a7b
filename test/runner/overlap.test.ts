import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { INSTANT_TASKS, type PveSimulator } from '../pve-sim/index'
import { serveGameUpstream, type GameUpstream } from '../pve-sim/game-upstream'
import { startSimulator } from '../e2e/sim-stack'
import type { JobState } from './fake-server'
import { useRunnerFixture } from './fixture'
import { makeJob, waitFor } from './harness'

/**
 * A deploy looks its game's version up while the VM is cloned and boots, not after: the real
 * runner with the real executors against the Proxmox simulator (clone made slow), and the
 * publishers behind a loopback gate that holds the version manifest as long as a test wants. What
 * the gate saw, and when in the job's step frames, is the evidence; no timings are compared.
 */

const fixture = useRunnerFixture()
let sim: PveSimulator
let upstream: GameUpstream

beforeAll(async () => {
  upstream = await serveGameUpstream()
  sim = await startSimulator({ bootDelayMs: 0, timing: { ...INSTANT_TASKS, cloneMs: 1_500 } })
}, 60_000)
afterAll(async () => {
  await sim?.stop()
  await upstream?.close()
})

interface Seen {
  path: string
  /** The steps the runner had reported done when the request arrived. */
  doneSteps: string[]
  /** The runner closed the request before it was answered. */
  abandoned: boolean
}

/**
 * A proxy in front of the simulated publishers. Requests for the manifest wait for `release()`
 * (or get `failWith`'s status); every request notes which steps were done when it came.
 */
async function gate(job: () => JobState | undefined) {
  const seen: Seen[] = []
  const held: (() => void)[] = []
  let open = false
  let failWith: number | null = null
  const target = new URL(upstream.mojangManifestUrl)
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const out = request(
      {
        host: target.hostname,
        port: target.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    out.on('error', () => res.destroy())
    req.pipe(out)
  }
  const server = createServer((req, res) => {
    const entry: Seen = {
      path: req.url ?? '',
      doneSteps: (job()?.steps ?? []).filter((s) => s.status === 'done').map((s) => s.step),
      abandoned: false,
    }
    seen.push(entry)
    res.on('close', () => (entry.abandoned = !res.writableFinished))
    if (!entry.path.startsWith(target.pathname)) return forward(req, res)
    const answer = () => {
      if (failWith === null) return forward(req, res)
      res.writeHead(failWith, { 'content-type': 'text/plain' })
      res.end('publisher down')
    }
    if (open) answer()
    else held.push(answer)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    seen,
    env: {
      ...upstream.runnerEnv(),
      RUNNER_MINECRAFT_MANIFEST_URL: `${base}${target.pathname}`,
    },
    fail(status: number) {
      failWith = status
    },
    release() {
      open = true
      for (const answer of held.splice(0)) answer()
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

async function deploy(name: string, onRequest?: (g: Awaited<ReturnType<typeof gate>>) => void) {
  // The job's state, once assigned, for the gate to note which steps were done.
  const job: { state?: JobState } = {}
  const g = await gate(() => job.state)
  onRequest?.(g)
  const { server } = await fixture.start({
    env: {
      ...g.env,
      RUNNER_EXECUTOR: 'real',
      RUNNER_PROVISIONER: 'simulated',
      RUNNER_VERIFY_TIMEOUT_MS: '20000',
    },
  })
  const ip = `127.0.10.${name === 'ok' ? 21 : name === 'fail' ? 22 : 23}`
  const state = server.assign(
    makeJob(name, {
      proxmox: sim.connection({
        gateway: '127.0.10.1',
        dnsServers: ['127.0.10.1'],
        ipPool: { cidr: '127.0.10.0/24', rangeStart: '127.0.10.20', rangeEnd: '127.0.10.40' },
        sshPort: 2222,
      }),
      spec: { ...makeJob(name).spec, ipAddress: ip, gameConfig: { eula: true } },
    }),
  )
  job.state = state
  return { g, server, state }
}

const done = (state: JobState, step: string) =>
  state.steps.some((s) => s.step === step && s.status === 'done')

describe('a deploy resolves its version while the VM is made', () => {
  it('asks the publishers during the clone, and provisions with the answer', async () => {
    const { g, state } = await deploy('ok')
    try {
      // The manifest is held until the clone is over: the lookup was in flight meanwhile.
      await waitFor(() => done(state, 'clone'), 'the clone done', 30_000)
      g.release()
      await waitFor(() => state.done.length > 0, 'the job done', 60_000)
      expect(state.done[0]?.outcome).toBe('succeeded')
      const manifest = g.seen.find((s) => s.path.endsWith('.json'))
      expect(manifest, JSON.stringify(g.seen)).toBeDefined()
      expect(manifest?.doneSteps).not.toContain('clone')
      expect(manifest?.doneSteps).not.toContain('wait_ssh')
    } finally {
      await g.close()
    }
  }, 90_000)

  it('fails the deploy at provision, with the publisher named, when the lookup fails', async () => {
    const { g, state } = await deploy('fail', (gate) => gate.fail(503))
    try {
      g.release()
      await waitFor(() => state.done.length > 0, 'the job done', 60_000)
      const verdict = state.done[0]
      expect(verdict?.outcome).toBe('failed')
      expect(verdict?.error?.step).toBe('provision')
      expect(verdict?.error?.message).toMatch(/provision: .*answered HTTP 503/)
      for (const step of ['clone', 'start', 'wait_ssh']) expect(done(state, step)).toBe(true)
    } finally {
      await g.close()
    }
  }, 90_000)

  it('stops the lookup when the job is cancelled', async () => {
    const { g, server, state } = await deploy('cancel')
    try {
      await waitFor(
        () => g.seen.some((s) => s.path.endsWith('.json')),
        'the manifest asked',
        30_000,
      )
      server.sendJob('cancel', { v: 1, type: 'job.cancel', jobId: 'cancel' })
      await waitFor(() => state.done.length > 0, 'the job done', 60_000)
      expect(state.done[0]?.outcome).toBe('cancelled')
      await waitFor(() => g.seen.some((s) => s.abandoned), 'the manifest request closed', 10_000)
    } finally {
      g.release()
      await g.close()
    }
  }, 90_000)
})
