/**
 * `npm run bench`: the product's performance figures, measured on this machine with the real
 * processes (wrangler dev, the bundled runner, the Proxmox simulator) on loopback. Prints a short
 * table, then one JSON object as the last line.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  killAllRunners,
  startRunner,
  type RunnerProcess,
  registerRunner,
} from '../../test/runner/harness'
import { ApiClient, DashboardSocket, startStack, waitFor, type Stack } from '../../test/e2e/stack'
import { d1Count } from '../../test/e2e/local-d1'
import { measureBackupRestore } from './backup-overhead'
import { measureFleet, type FleetResult } from './fleet'
import { percentile, round, rssMb, webJsGzipKb } from './measure'
import { ProtoRunner } from './proto-runner'
import { simProxmox, startRealRunner, startSimulator } from '../../test/e2e/sim-stack'
import { INSTANT_TASKS, type PveSimulator } from '../../test/pve-sim/index'

const ROOT = new URL('../../', import.meta.url).pathname
const PICKUPS = Number(process.env.BENCH_PICKUPS ?? 200)
const LOG_LINES = Number(process.env.BENCH_LOG_LINES ?? 100_000)
const PACED_RATE = Number(process.env.BENCH_PACED_RATE ?? 50_000)
const NAIVE_LINES = Number(process.env.BENCH_NAIVE_LINES ?? 2_000)
const OVERHEAD_RUNS = Number(process.env.BENCH_OVERHEAD_RUNS ?? 20)
const BACKUP_RUNS = Number(process.env.BENCH_BACKUP_RUNS ?? 5)
const CONCURRENT = Number(process.env.BENCH_CONCURRENT ?? 50)
const FLEET_N = Number(process.env.BENCH_FLEET_N ?? 500)
const FLEET_RUNNERS = Number(process.env.BENCH_FLEET_RUNNERS ?? 5)
const FLEET_PROBES = Number(process.env.BENCH_FLEET_PROBES ?? 20)
const WATCH_N = Number(process.env.BENCH_WATCH_N ?? 200)
/** Comma-separated sections to run while profiling one of them (pickup,overhead,sim,rss,logs,naive,fleet); all by default. */
/** An idle runner's memory is read this long after it started. */
const IDLE_SAMPLE_MS = 5_000
const ONLY = process.env.BENCH_ONLY?.split(',').filter(Boolean) ?? null
const runs = (section: string) => ONLY === null || ONLY.includes(section)

const PROXMOX = {
  apiUrl: 'https://127.0.0.1:8006',
  node: 'pve',
  tokenId: 'bench@pve!pgd',
  tokenSecret: 'bench000-1111-2222-3333-444455556666',
  tls: { mode: 'insecure' },
  templateVmid: 9000,
  storage: 'local-lvm',
  bridge: 'vmbr0',
  vlan: null,
  gateway: '127.90.0.1',
  dnsServers: ['127.90.0.1'],
  ipPool: { cidr: '127.90.0.0/16', rangeStart: '127.90.0.10', rangeEnd: '127.90.250.250' },
  ciUser: 'debian',
}

const dirs: string[] = []
const log = (line: string) => process.stderr.write(`${line}\n`)

async function install(stack: Stack): Promise<ApiClient> {
  const api = new ApiClient(stack.url)
  await api.ok('POST', '/api/setup', {
    username: 'bench',
    password: 'bench password 123',
    setupCode: stack.setupCode,
  })
  await api.ok('PUT', '/api/settings/proxmox', PROXMOX)
  return api
}

async function runnerKey(api: ApiClient, name: string): Promise<string> {
  const { code } = await api.ok<{ code: string }>('POST', '/api/runners', { name })
  return (await api.ok<{ key: string }>('POST', '/api/runner/register', { code })).key
}

/**
 * The parts of one deployment's overhead the bench reports (medians): the create request's
 * answer; from it to the runner starting the first step (dispatch, job.assign, the job socket's
 * hello and welcome); the steps as the runner timed them (Proxmox calls, SSH wait, game check);
 * from the last step's end to the dashboard showing ready (the last lines, job.done, the state).
 */
const PHASES = {
  post: 'POST answered',
  pickup: 'answer → first step',
  steps: 'steps (runner)',
  end: 'last step → ready',
}

/** A real runner process (the shipped bundle) with fake executors. */
async function realRunner(
  api: ApiClient,
  name: string,
  extra: Record<string, string>,
): Promise<RunnerProcess> {
  const state = mkdtempSync(join(tmpdir(), 'pgd-bench-runner-'))
  dirs.push(state)
  const { code } = await api.ok<{ code: string }>('POST', '/api/runners', { name })
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: state,
    RUNNER_STATE_DIR: state,
    RUNNER_EXECUTOR: 'fake',
    RUNNER_LOG_LEVEL: 'warn',
    RUNNER_FAKE_STEP_DELAY_MS: '0',
    RUNNER_FAKE_LINES_PER_STEP: '0',
    RUNNER_MAX_JOBS: '8',
    // e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, to profile the runner under the bench's load.
    ...(process.env.BENCH_RUNNER_NODE_OPTIONS
      ? { NODE_OPTIONS: process.env.BENCH_RUNNER_NODE_OPTIONS }
      : {}),
    ...extra,
  }
  await registerRunner(api.url, code, env)
  const proc = await startRunner(['run'], env)
  await waitFor(
    async () =>
      (
        await api.ok<{ runners: { name: string; state: string }[] }>('GET', '/api/runners')
      ).runners.some((r) => r.name === name && r.state === 'online'),
    `runner ${name} online`,
    30_000,
  )
  return proc
}

async function stopRunner(proc: RunnerProcess): Promise<void> {
  proc.child.kill('SIGTERM')
  await Promise.race([proc.exited, new Promise((r) => setTimeout(r, 10_000))])
}

const create = (api: ApiClient, name: string) =>
  api.ok<{ deployment: { id: string } }>('POST', '/api/deployments', {
    name,
    game: 'minecraft',
    config: { eula: true },
  })

async function measurePickup(api: ApiClient) {
  const proto = new ProtoRunner(api.url, await runnerKey(api, 'bench-proto'))
  await proto.connect(64)
  const samples: number[] = []
  for (let i = 0; i < PICKUPS; i++) {
    const t0 = performance.timeOrigin + performance.now()
    const { deployment } = await create(api, `pickup-${i}`)
    samples.push(
      (await proto.assignedAt(deployment.id).catch((e: unknown) => {
        throw new Error(`pickup ${i}: ${String(e)}`)
      })) - t0,
    )
    await proto.finish(deployment.id)
  }
  proto.close()
  return {
    p50: round(percentile(samples, 50)),
    p99: round(percentile(samples, 99)),
    n: samples.length,
  }
}

async function measureOverhead(api: ApiClient) {
  const proc = await realRunner(api, 'bench-noop', {})
  const walls: number[] = []
  for (let i = 0; i < OVERHEAD_RUNS; i++) {
    const t0 = performance.now()
    const { deployment } = await create(api, `overhead-${i}`)
    const dash = new DashboardSocket(api, deployment.id)
    await dash.opened()
    await waitFor(() => dash.status === 'ready', `overhead deployment ${i} ready`, 30_000, 2)
    walls.push(performance.now() - t0)
    dash.close()
  }
  const rss = rssMb(proc.child.pid ?? 0)
  await stopRunner(proc)
  return {
    overheadMs: round(percentile(walls, 50)),
    overheadP99Ms: round(percentile(walls, 99)),
    busyRssMb: round(rss),
  }
}

/** One deployment whose provision step emits `lines` log lines (paced at `rate`/s, 0 = flat out). */
async function measureLogs(
  stack: Stack,
  api: ApiClient,
  name: string,
  lines: number,
  rate: number,
) {
  const proc = await realRunner(api, name, {
    RUNNER_FAKE_BURST_LINES: String(lines),
    RUNNER_FAKE_BURST_RATE: String(rate),
    RUNNER_MAX_JOBS: '1',
  })
  const { deployment } = await create(api, name)
  const dash = new DashboardSocket(api, deployment.id)
  const received: { seq: number; at: number; ts: number; text: string }[] = []
  await dash.opened()
  dash.onLine = (line, at) => received.push({ seq: line.seq, at, ts: line.ts, text: line.text })
  const burst = () => received.filter((r) => r.text.includes(': burst '))
  await waitFor(
    () => burst().length >= lines,
    `${lines} burst lines on the dashboard (have ${burst().length})`,
    600_000,
    20,
  )
  const got = burst()
  const first = got[0]
  const last = got[got.length - 1]
  const seconds = first && last ? (last.at - first.ts) / 1000 : Number.NaN
  let reordered = 0
  for (let i = 1; i < received.length; i++)
    if ((received[i]?.seq ?? 0) <= (received[i - 1]?.seq ?? 0)) reordered++
  const index = (t: string) => Number(/burst (\d+)\//.exec(t)?.[1] ?? 0)
  const seen = new Set(got.map((r) => index(r.text)))
  const lost = lines - seen.size
  const lags = got.map((r) => r.at - r.ts)
  // Into D1: the mirror (or the naive inserts) must hold every line too.
  // The D1 mirror's progress, as the deployment reports it; then D1 itself is counted once.
  const target = received.at(-1)?.seq ?? 0
  await waitFor(
    async () =>
      (
        await api.ok<{ deployment: { mirroredSeq: number } }>(
          'GET',
          `/api/deployments/${deployment.id}`,
        )
      ).deployment.mirroredSeq >= target,
    `${lines} lines mirrored to D1`,
    600_000,
    5,
  )
  const d1Seconds = (performance.now() + performance.timeOrigin - (first?.ts ?? 0)) / 1000
  const sql = `select count(*) as n from deployment_logs where deployment_id = '${deployment.id}' and text like '%: burst %'`
  const inD1 = await d1Count(ROOT, stack.persistTo, sql)
  if (inD1 !== lines) throw new Error(`D1 holds ${inD1} of the ${lines} lines`)
  dash.close()
  await stopRunner(proc)
  return {
    linesPerS: round(lines / seconds, 0),
    d1LinesPerS: round(lines / d1Seconds, 0),
    lagP50: round(percentile(lags, 50)),
    lagP99: round(percentile(lags, 99)),
    lost,
    reordered,
  }
}

/**
 * N deployments at once through the real executors against the simulator (zero latency, instant
 * tasks, simulated provisioning): wall time, VMID collisions, failures; and, before that, the
 * orchestration overhead of one deployment on that zero-latency path. On a stack of its own, so
 * its runner does not also watch what the earlier sections left ready: the figure is the deploy's.
 */
async function measureWithSimulator() {
  const stack = await startStack()
  const sim: PveSimulator = await startSimulator({ bootDelayMs: 0, timing: INSTANT_TASKS })
  try {
    const api = await install(stack)
    await api.ok('PUT', '/api/settings/proxmox', simProxmox(sim))
    const startedAt = performance.now()
    const { runner, state } = await startRealRunner(api, 'bench-sim', {
      RUNNER_MAX_JOBS: String(CONCURRENT),
      RUNNER_LOG_LEVEL: 'warn',
    })
    dirs.push(state)
    await waitFor(
      async () =>
        (
          await api.ok<{ runners: { name: string; state: string }[] }>('GET', '/api/runners')
        ).runners.some((r) => r.name === 'bench-sim' && r.state === 'online'),
      'bench-sim online',
      30_000,
    )
    // Between jobs as a production runner is: real executors, the first sweep of the node done,
    // the status of every ready deployment checked (all given to this runner: the only one).
    await new Promise((r) =>
      setTimeout(r, Math.max(0, IDLE_SAMPLE_MS - (performance.now() - startedAt))),
    )
    const idleRealRssMb = round(rssMb(runner.child.pid ?? 0))
    const watched = await d1Count(
      ROOT,
      stack.persistTo,
      "select count(*) as n from deployments where status = 'ready'",
    )
    const statusOf = async (id: string) =>
      (
        await api.ok<{ deployment: { status: string; vmid: number | null } }>(
          'GET',
          `/api/deployments/${id}`,
        )
      ).deployment
    const overheadWalls: number[] = []
    const phases: Record<keyof typeof PHASES, number[]> = {
      post: [],
      pickup: [],
      steps: [],
      end: [],
    }
    const overheadIds: string[] = []
    for (let i = 0; i < OVERHEAD_RUNS; i++) {
      const t0 = Date.now()
      const { deployment } = await create(api, `sim-overhead-${i}`)
      overheadIds.push(deployment.id)
      const posted = Date.now()
      const dash = new DashboardSocket(api, deployment.id)
      await dash.opened()
      await waitFor(
        () => dash.status === 'ready' || dash.status === 'failed',
        `sim overhead ${i}`,
        // The first deployment of a fresh stack waits for the worker's first build and D1.
        i === 0 ? 180_000 : 60_000,
        2,
      )
      const ready = Date.now()
      overheadWalls.push(ready - t0)
      dash.close()
      // Where the time went, from the steps' times (the runner's clock: this machine's).
      const { steps } = (
        await api.ok<{ deployment: { steps: { startedAt: number; endedAt: number }[] } }>(
          'GET',
          `/api/deployments/${deployment.id}`,
        )
      ).deployment
      const first = Math.min(...steps.map((s) => s.startedAt))
      const last = Math.max(...steps.map((s) => s.endedAt))
      phases.post.push(posted - t0)
      phases.pickup.push(first - posted)
      phases.steps.push(last - first)
      phases.end.push(ready - last)
    }
    const backupRestore = await measureBackupRestore(api, overheadIds, BACKUP_RUNS)
    const t0 = performance.now()
    const ids = await Promise.all(
      Array.from({ length: CONCURRENT }, (_, i) =>
        create(api, `concurrent-${i}`).then((r) => r.deployment.id),
      ),
    )
    const settled = await waitFor(
      async () => {
        const all = await Promise.all(ids.map(statusOf))
        return all.every((d) => d.status === 'ready' || d.status === 'failed') && all
      },
      `${CONCURRENT} concurrent deployments settled`,
      600_000,
      250,
    )
    const wall = (performance.now() - t0) / 1000
    const vmids = settled.map((d) => d.vmid).filter((v): v is number => v !== null)
    await stopRunner(runner)
    return {
      idleRealRssMb,
      watched,
      backupRestore,
      simOverheadMs: round(percentile(overheadWalls, 50)),
      simOverheadP99Ms: round(percentile(overheadWalls, 99)),
      simPhasesMs: Object.fromEntries(
        Object.entries(phases).map(([k, v]) => [k, round(percentile(v, 50))]),
      ) as Record<keyof typeof PHASES, number>,
      concurrent: {
        n: CONCURRENT,
        wall_s: round(wall, 2),
        collisions: vmids.length - new Set(vmids).size,
        failed: settled.filter((d) => d.status !== 'ready').length,
      },
    }
  } finally {
    await sim.stop()
    await stack.stop()
  }
}

async function measureIdleRss(api: ApiClient): Promise<number> {
  const proc = await realRunner(api, 'bench-idle', {})
  await new Promise((r) => setTimeout(r, IDLE_SAMPLE_MS))
  const mb = rssMb(proc.child.pid ?? 0)
  await stopRunner(proc)
  return round(mb)
}

async function main(): Promise<void> {
  log('bench: starting wrangler dev (batched log pipeline)')
  const stack = await startStack()
  let naiveStack: Stack | null = null
  try {
    const api = await install(stack)
    const none = { p50: NaN, p99: NaN, n: 0 }
    const noLogs = {
      linesPerS: NaN,
      d1LinesPerS: NaN,
      lagP50: NaN,
      lagP99: NaN,
      lost: 0,
      reordered: 0,
    }
    // First, while there is nothing to watch: idle means no job and no deployment to check.
    // A runner watching deployments is measured in the simulator section.
    log('bench: runner idle memory')
    const idleRss = runs('rss') ? await measureIdleRss(api) : NaN
    log(`bench: job pickup over ${PICKUPS} deployments`)
    const pickup = runs('pickup') ? await measurePickup(api) : none
    log(`bench: orchestration overhead over ${OVERHEAD_RUNS} deployments`)
    const overhead = runs('overhead')
      ? await measureOverhead(api)
      : { overheadMs: NaN, overheadP99Ms: NaN, busyRssMb: NaN }
    log(
      `bench: real executors against the simulator (a stack of its own): overhead, then ${CONCURRENT} at once`,
    )
    const withSim = runs('sim')
      ? await measureWithSimulator()
      : {
          idleRealRssMb: NaN,
          watched: 0,
          backupRestore: { backupMs: NaN, restoreMs: NaN, n: 0 },
          simOverheadMs: NaN,
          simOverheadP99Ms: NaN,
          simPhasesMs: { post: NaN, pickup: NaN, steps: NaN, end: NaN },
          concurrent: { n: 0, wall_s: NaN, collisions: 0, failed: 0 },
        }
    log(`bench: log pipeline, ${LOG_LINES} lines flat out`)
    const flat = runs('logs')
      ? await measureLogs(stack, api, 'bench-logs-flat', LOG_LINES, 0)
      : noLogs
    log(`bench: log pipeline, ${LOG_LINES} lines paced at ${PACED_RATE}/s`)
    const paced = runs('logs')
      ? await measureLogs(stack, api, 'bench-logs-paced', LOG_LINES, PACED_RATE)
      : noLogs
    log(`bench: naive one-insert-per-line baseline, ${NAIVE_LINES} lines`)
    let naive = noLogs
    if (runs('naive')) {
      naiveStack = await startStack({ script: 'tools/bench/naive-worker.ts' })
      const naiveApi = await install(naiveStack)
      naive = await measureLogs(naiveStack, naiveApi, 'bench-logs-naive', NAIVE_LINES, 0)
    }
    log(`bench: fleet, ${FLEET_N} deployments across ${FLEET_RUNNERS} runners (a stack of its own)`)
    const fleet: FleetResult | null = runs('fleet')
      ? await measureFleet({
          n: FLEET_N,
          runners: FLEET_RUNNERS,
          probes: FLEET_PROBES,
          maxJobs: 20,
          watchN: WATCH_N,
          rssSamples: 5,
          dirs,
          log,
        })
      : null

    const result = {
      pickup_ms: { p50: pickup.p50, p99: pickup.p99, n: pickup.n },
      logs: {
        lines_per_s: flat.linesPerS,
        d1_lines_per_s: flat.d1LinesPerS,
        lag_ms: { p50: paced.lagP50, p99: paced.lagP99, paced_rate: PACED_RATE },
        lost: flat.lost + paced.lost,
        reordered: flat.reordered + paced.reordered,
        naive_lines_per_s: naive.d1LinesPerS,
        ratio: round(flat.d1LinesPerS / naive.d1LinesPerS, 0),
        n: LOG_LINES,
      },
      overhead_ms: withSim.simOverheadMs,
      overhead_p99_ms: withSim.simOverheadP99Ms,
      overhead_phases_ms: withSim.simPhasesMs,
      overhead_fake_executors_ms: overhead.overheadMs,
      backup_ms: withSim.backupRestore.backupMs,
      restore_ms: withSim.backupRestore.restoreMs,
      concurrent: withSim.concurrent,
      runner_idle_rss_mb: idleRss,
      runner_watching_rss_mb: withSim.idleRealRssMb,
      runner_watching_n: withSim.watched,
      runner_busy_rss_mb: overhead.busyRssMb,
      web_js_gzip_kb: round(webJsGzipKb(ROOT)),
      fleet: fleet && {
        n: fleet.n,
        runners: fleet.runners,
        wall_s: fleet.wall_s,
        collisions: fleet.collisions,
        failed: fleet.failed,
        pickup_p99_ms: fleet.pickup_p99_ms,
        dispatch: fleet.dispatch,
        watch_round: fleet.watch_round,
      },
      runner_watch_rss_mb: fleet?.watch_rss_mb.median ?? NaN,
      runner_watch_n: fleet?.watch_rss_mb.n ?? 0,
    }
    const rows: [string, string, string][] = [
      ['job pickup p50 / p99', `${pickup.p50} / ${pickup.p99} ms`, '≤ 100 ms p99'],
      ['log lines/s (dashboard, flat out)', String(flat.linesPerS), '≥ 50,000'],
      [
        'log lines/s into D1 (batched / naive)',
        `${flat.d1LinesPerS} / ${naive.d1LinesPerS}`,
        `×${result.logs.ratio}`,
      ],
      [
        `log lag p50 / p99 at ${PACED_RATE}/s`,
        `${paced.lagP50} / ${paced.lagP99} ms`,
        '≤ 250 ms p99',
      ],
      ['lines lost / reordered', `${result.logs.lost} / ${result.logs.reordered}`, '0 / 0'],
      [
        'overhead p50 / p99 (sim)',
        `${withSim.simOverheadMs} / ${withSim.simOverheadP99Ms} ms`,
        '≤ 300 ms',
      ],
      ...Object.entries(PHASES).map(([k, what]): [string, string, string] => [
        `  ${what}`,
        `${withSim.simPhasesMs[k as keyof typeof PHASES]} ms`,
        'p50',
      ]),
      ['overhead p50 (fake executors)', `${overhead.overheadMs} ms`, ''],
      [
        `backup / restore in place p50 (sim, ${withSim.backupRestore.n} each)`,
        `${withSim.backupRestore.backupMs} / ${withSim.backupRestore.restoreMs} ms`,
        '',
      ],
      [
        `${CONCURRENT} concurrent: wall / collisions / failed`,
        `${withSim.concurrent.wall_s} s / ${withSim.concurrent.collisions} / ${withSim.concurrent.failed}`,
        '0 collisions',
      ],
      ['runner idle RSS (no job, nothing to watch)', `${idleRss} MB`, '≤ 60 MB'],
      [
        `runner RSS watching ${withSim.watched} deployments (real executors)`,
        `${withSim.idleRealRssMb} MB`,
        '',
      ],
      ['dashboard initial JS', `${result.web_js_gzip_kb} KB gzip`, '≤ 150 KB'],
      ...fleetRows(fleet),
    ]
    for (const [what, value, target] of rows)
      log(`${what.padEnd(40)} ${value.padEnd(24)} ${target}`)
    process.stdout.write(`${JSON.stringify(result)}\n`)
  } finally {
    await killAllRunners()
    await stack.stop()
    await naiveStack?.stop()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  }
}

function fleetRows(f: FleetResult | null): [string, string, string][] {
  if (!f) return []
  const d = f.dispatch
  return [
    [
      `fleet of ${f.n} on ${f.runners} runners: wall / collisions / failed`,
      `${f.wall_s} s / ${f.collisions} / ${f.failed}`,
      '0 / 0',
    ],
    [
      `  pickup p99 at 50 / at ${f.n}`,
      `${f.pickup_p99_ms.at50} / ${f.pickup_p99_ms.atN} ms`,
      '≤ 100 ms p99',
    ],
    [
      `  hub per dispatch at 50 / at ${f.n}`,
      `${d.ms_per_job.at50} / ${d.ms_per_job.atN} ms (×${d.ms_per_job.ratio})`,
      'flat',
    ],
    [
      `  D1 rows read per dispatch`,
      `${d.rows_read_per_job.at50} / ${d.rows_read_per_job.atN} (×${d.rows_read_per_job.ratio})`,
      'flat',
    ],
    [
      `  status round over ${f.watch_round.n}`,
      `${f.watch_round.ms} ms`,
      `≤ ${f.watch_round.interval_ms} ms`,
    ],
    [
      `runner RSS between jobs watching ${f.watch_rss_mb.n} (median)`,
      `${f.watch_rss_mb.median} MB`,
      '≤ 60 MB',
    ],
  ]
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
    process.exit(1)
  },
)
