/**
 * The fleet scenario of `npm run bench`: hundreds of deployments across several runners with the
 * real executors against the zero-latency simulator, on a stack of its own (so "at 50" means a
 * fleet of 50). Measures what grows with the fleet: job pickup, the RunnerHub's cost per dispatch,
 * a watch round; and the memory of a runner watching deployments between jobs.
 */
import { ApiClient, startStack, waitFor, type Stack } from '../../test/e2e/stack'
import { d1Rows } from '../../test/e2e/local-d1'
import { simProxmox, startRealRunner, startSimulator } from '../../test/e2e/sim-stack'
import type { RunnerProcess } from '../../test/runner/harness'
import { defaultStorages, INSTANT_TASKS, type PveSimulator } from '../../test/pve-sim/index'
import { percentile, round, rssMb } from './measure'

const ROOT = new URL('../../', import.meta.url).pathname

export interface FleetOptions {
  /** Deployments in the fleet when the second pickup sample is taken. */
  n: number
  runners: number
  /** Sequential deployments whose pickup is measured, at 50 and at `n`. */
  probes: number
  /** Jobs each runner runs at once. */
  maxJobs: number
  /** Deployments on the watch list of the runner whose memory is measured. */
  watchN: number
  /** RSS samples (one a second) once that runner has checked its whole list; the median counts. */
  rssSamples: number
  dirs: string[]
  log: (line: string) => void
}

export interface FleetResult {
  n: number
  runners: number
  wall_s: number
  collisions: number
  failed: number
  pickup_p99_ms: { at50: number; atN: number; probes: number }
  /** The hub's dispatch, per job leased: time in the RunnerHub and D1 rows read. */
  dispatch: {
    ms_per_job: { at50: number; atN: number; ratio: number }
    rows_read_per_job: { at50: number; atN: number; ratio: number }
    /** Dispatch rounds per leased job (a job's end also asks for one). */
    rounds_per_job: { at50: number; atN: number }
  }
  /** One status round of a runner watching the whole fleet, against the status interval. */
  watch_round: { n: number; ms: number; sim_span_ms: number; interval_ms: number }
  watch_rss_mb: { n: number; median: number; samples: number[] }
}

interface Row {
  id: string
  status: string
  vmid: number | null
  ip: string | null
}

const SETTLED = new Set(['ready', 'failed', 'cancelled'])
/** What the hub logs for each dispatch round that leases (worker/do/hub/dispatch.ts). */
const DISPATCH_LINE = /\{"level":"info","dispatch":\{[^}]*\}\}/g

const STATUS_CURRENT = /\/qemu\/(\d+)\/status\/current$/

/** The VMs whose power state the node was asked for since request number `mark`. */
function statusAsked(sim: PveSimulator, mark: number): Set<string> {
  const out = new Set<string>()
  for (const r of sim.requests.slice(mark)) {
    const m = STATUS_CURRENT.exec(r.path)
    if (m?.[1]) out.add(m[1])
  }
  return out
}

async function rows(stack: Stack, where: string): Promise<Row[]> {
  return d1Rows<Row>(ROOT, stack.persistTo, `select id, status, vmid, ip from deployments ${where}`)
}

const create = (api: ApiClient, name: string) =>
  api.ok<{ deployment: { id: string } }>('POST', '/api/deployments', {
    name,
    game: 'minecraft',
    config: { eula: true },
  })

async function online(api: ApiClient, names: readonly string[]): Promise<void> {
  await waitFor(
    async () => {
      const { runners } = await api.ok<{ runners: { name: string; state: string }[] }>(
        'GET',
        '/api/runners',
      )
      return names.every((n) => runners.some((r) => r.name === n && r.state === 'online'))
    },
    `runners ${names.join(', ')} online`,
    60_000,
    100,
  )
}

async function stopRunner(proc: RunnerProcess): Promise<void> {
  proc.child.kill('SIGTERM')
  await Promise.race([proc.exited, new Promise((r) => setTimeout(r, 10_000))])
}

/** The hub's dispatch cost logged in `text`: per leased job, time and rows read. */
function dispatchCost(text: string): {
  msPerJob: number
  rowsPerJob: number
  roundsPerJob: number
  jobs: number
} {
  let jobs = 0
  let ms = 0
  let rowsRead = 0
  let rounds = 0
  const lines = [...text.matchAll(DISPATCH_LINE)].map((m) => m[0])
  if (process.env.BENCH_FLEET_DUMP) process.stderr.write(`${lines.join('\n')}\n`)
  for (const line of lines) {
    const d = (
      JSON.parse(line) as {
        dispatch: { leased: number; ms: number; rowsRead: number; rounds: number }
      }
    ).dispatch
    jobs += d.leased
    ms += d.ms
    rowsRead += d.rowsRead
    rounds += d.rounds
  }
  return { msPerJob: ms / jobs, rowsPerJob: rowsRead / jobs, roundsPerJob: rounds / jobs, jobs }
}

export async function measureFleet(o: FleetOptions): Promise<FleetResult> {
  if (o.n < 50 + 2 * o.probes || o.watchN < 50 + o.probes || o.watchN > o.n)
    throw new Error('fleet: n ≥ 50 + 2 probes rounds, 50 + probes ≤ watchN ≤ n')
  const stack = await startStack()
  // A node big enough for the whole fleet (4 GiB and 16 GiB of disk each), so the capacity
  // check passes: the scenario measures the engine, not a full node.
  const room = o.n + 2 * o.probes + 50
  const sim: PveSimulator = await startSimulator({
    nodeMemoryMiB: 4_096 * room + 8_192,
    storages: defaultStorages(16 * room + 64),
    bootDelayMs: 0,
    timing: INSTANT_TASKS,
  })
  const procs: RunnerProcess[] = []
  let generation = 0
  try {
    const api = new ApiClient(stack.url)
    await api.ok('POST', '/api/setup', {
      username: 'bench',
      password: 'bench password 123',
      setupCode: stack.setupCode,
    })
    await api.ok('PUT', '/api/settings/proxmox', simProxmox(sim))
    const startFleet = async () => {
      generation++
      const names = Array.from({ length: o.runners }, (_, i) => `fleet-${generation}-${i + 1}`)
      for (const name of names) {
        const { runner, state } = await startRealRunner(api, name, {
          RUNNER_MAX_JOBS: String(o.maxJobs),
          RUNNER_LOG_LEVEL: 'warn',
        })
        o.dirs.push(state)
        procs.push(runner)
      }
      await online(api, names)
    }
    const stopAll = async () => {
      for (const p of procs.splice(0)) await stopRunner(p)
    }

    let count = 0
    let wallMs = 0
    /** `k` deployments created at once; resolves when all have settled. */
    const wave = async (k: number) => {
      o.log(`bench: fleet: ${k} at once (fleet ${count} → ${count + k})`)
      const t0 = performance.now()
      const ids = new Set<string>()
      const made = await Promise.all(
        Array.from({ length: k }, (_, i) => create(api, `fleet-${count + i}`)),
      )
      for (const { deployment } of made) ids.add(deployment.id)
      count += k
      await waitFor(
        async () => {
          // The local D1 is read by wrangler's CLI beside the running dev server; a read that
          // fails (the database busy with the fleet's writes) is tried again at the next poll.
          const all = await rows(stack, "where name like 'fleet-%'").catch((err: unknown) => {
            o.log(`bench: fleet: reading D1 failed, trying again: ${String(err).slice(0, 300)}`)
            return null
          })
          return (
            !!all && all.filter((r) => ids.has(r.id) && SETTLED.has(r.status)).length === ids.size
          )
        },
        `${k} fleet deployments settled`,
        900_000,
        1_000,
      )
      wallMs += performance.now() - t0
    }
    /** Pickup of `probes` deployments one after the other, and the hub's cost meanwhile. */
    const probe = async () => {
      o.log(`bench: fleet: pickup of ${o.probes} deployments with ${count} deployed`)
      const from = stack.output().length
      const pickups: number[] = []
      for (let i = 0; i < o.probes; i++) {
        const { deployment } = await create(api, `probe-${count}-${i}`)
        const posted = Date.now()
        const detail = await waitFor(
          async () => {
            const d = (
              await api.ok<{ deployment: { status: string; steps: { startedAt: number }[] } }>(
                'GET',
                `/api/deployments/${deployment.id}`,
              )
            ).deployment
            if (d.status === 'failed') throw new Error(`probe ${deployment.id} failed`)
            return d.status === 'ready' && d
          },
          `probe ${i} ready`,
          60_000,
          5,
        )
        pickups.push(Math.min(...detail.steps.map((s) => s.startedAt)) - posted)
      }
      count += o.probes
      // The last round's line may still be on its way out of wrangler.
      await new Promise((r) => setTimeout(r, 500))
      return {
        p99: round(percentile(pickups, 99)),
        cost: dispatchCost(stack.output().slice(from)),
      }
    }

    await startFleet()
    await wave(50)
    const at50 = await probe()
    await wave(o.watchN - count)

    // A runner fresh from start, between jobs, given `watchN` deployments to watch: the others
    // are stopped, so the hub hands it every list.
    o.log(`bench: fleet: runner memory watching ${o.watchN} deployments`)
    await stopAll()
    const watched = (await rows(stack, "where status = 'ready'")).length
    const mark = sim.requests.length
    const watcher = await startRealRunner(api, 'fleet-watcher', { RUNNER_LOG_LEVEL: 'warn' })
    o.dirs.push(watcher.state)
    procs.push(watcher.runner)
    // Its first round is over when the node has been asked about every VM (the game checks
    // follow each at once; the samples start a second later).
    await waitFor(
      () => statusAsked(sim, mark).size >= watched,
      `${watched} deployments checked by the watcher`,
      120_000,
      100,
    )
    const samples: number[] = []
    for (let i = 0; i < o.rssSamples; i++) {
      await new Promise((r) => setTimeout(r, 1_000))
      samples.push(round(rssMb(watcher.runner.child.pid ?? 0)))
    }
    await stopAll()

    await startFleet()
    await wave(o.n - count - o.probes)
    const atN = await probe()

    // One status round over the whole fleet, by a runner that watches it all.
    const n = (await rows(stack, "where status = 'ready'")).length
    o.log(`bench: fleet: one status round over ${n} deployments`)
    await stopAll()
    const roundMark = sim.requests.length
    const sweeper = await startRealRunner(api, 'fleet-round', { RUNNER_LOG_LEVEL: 'debug' })
    o.dirs.push(sweeper.state)
    procs.push(sweeper.runner)
    const line = await sweeper.runner.waitForOutput(
      new RegExp(`watch: checked ${n} deployment\\(s\\) in (\\d+) ms`),
      `a status round over ${n} deployments`,
      120_000,
    )
    const asked = sim.requests.slice(roundMark).filter((r) => STATUS_CURRENT.test(r.path))
    const simSpanMs = (asked.at(-1)?.at ?? Number.NaN) - (asked[0]?.at ?? Number.NaN)
    const intervalMs = Number(/every (\d+) ms/.exec(sweeper.runner.stdout())?.[1] ?? Number.NaN)

    const all = await rows(stack, "where status <> 'destroyed'")
    const vmids = all.map((r) => r.vmid).filter((v): v is number => v !== null)
    const ips = all.map((r) => r.ip).filter((v): v is string => v !== null)
    // Also on the node: one VM per address.
    const vmIps = [...sim.cluster.vms.values()]
      .map((vm) => /ip=([\d.]+)/.exec(vm.config.ipconfig0 ?? '')?.[1])
      .filter((ip): ip is string => ip !== undefined)
    const dup = (xs: readonly (string | number)[]) => xs.length - new Set(xs).size
    const ratio = (a: number, b: number) => round(b / a, 2)
    return {
      n,
      runners: o.runners,
      wall_s: round(wallMs / 1000, 1),
      collisions: dup(vmids) + dup(ips) + dup(vmIps),
      failed: all.filter((r) => r.status !== 'ready').length,
      pickup_p99_ms: { at50: at50.p99, atN: atN.p99, probes: o.probes },
      dispatch: {
        ms_per_job: {
          at50: round(at50.cost.msPerJob),
          atN: round(atN.cost.msPerJob),
          ratio: ratio(at50.cost.msPerJob, atN.cost.msPerJob),
        },
        rows_read_per_job: {
          at50: round(at50.cost.rowsPerJob),
          atN: round(atN.cost.rowsPerJob),
          ratio: ratio(at50.cost.rowsPerJob, atN.cost.rowsPerJob),
        },
        rounds_per_job: { at50: round(at50.cost.roundsPerJob), atN: round(atN.cost.roundsPerJob) },
      },
      watch_round: { n, ms: Number(line[1]), sim_span_ms: simSpanMs, interval_ms: intervalMs },
      watch_rss_mb: {
        n: watched,
        median: percentile(samples, 50),
        samples,
      },
    }
  } finally {
    for (const p of procs.splice(0)) await stopRunner(p)
    await sim.stop()
    await stack.stop()
  }
}
