import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LogLine } from '../../core/protocol'
import { readFakeVmState } from '../../runner/src/executors/fake'
import { spoolPath } from '../../runner/src/jobs/job-run'
import { useRunnerFixture } from './fixture'
import { exitOf, makeJob, runnerEnv, startRunner, waitFor } from './harness'

const fixture = useRunnerFixture()

async function setup() {
  return { server: await fixture.server(), dir: fixture.dir() }
}

function readSpool(path: string): LogLine[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((t) => LogLine.parse(JSON.parse(t)))
}

describe('runner restart and resume', () => {
  it('resumes after SIGKILL mid-step from the checkpoint and spool: no lost line, no second VM', async () => {
    const { server, dir } = await setup()
    const env = runnerEnv(server.url, dir, {
      RUNNER_FAKE_STEP_DELAYS: 'clone=60000',
      RUNNER_FAKE_LINES_PER_STEP: '4',
    })
    const first = await startRunner(['run'], env)
    await waitFor(() => server.hellos.length === 1, 'first hello')
    const job = server.assign(makeJob('jk'))
    job.maxAck = 3
    await waitFor(
      () => job.steps.find((s) => s.step === 'clone' && s.status === 'running'),
      'clone running',
    )
    await waitFor(() => readFakeVmState(join(dir, 'fake-vms.json')).created === 1, 'the VM exists')
    const spool = spoolPath(dir, 'jk')
    await waitFor(() => job.expectSeqAfter >= 8, 'the clone lines sent (only 3 of them acked)')
    first.child.kill('SIGKILL')
    await exitOf(first, 'the killed runner exits')
    const spooledBeforeKill = readSpool(spool)
    expect(job.persisted.map((l) => l.seq)).toEqual([1, 2, 3])

    job.maxAck = Infinity
    const second = await startRunner(['run'], { ...env, RUNNER_FAKE_STEP_DELAYS: '' })
    await waitFor(() => server.hellos.length === 2, 'second hello')
    expect(server.hellos[1]?.activeJobs).toEqual([])
    server.assign(makeJob('jk', { attempt: 2 }))
    await waitFor(() => job.done[0], 'job.done after the restart', 15_000)
    await waitFor(() => !existsSync(spool), 'the spool removed once everything is acked')

    expect(job.done[0]?.outcome).toBe('succeeded')
    expect(readFakeVmState(join(dir, 'fake-vms.json')).created).toBe(1)
    expect(job.persisted.map((l) => l.seq)).toEqual(job.persisted.map((_, i) => i + 1))
    for (const line of spooledBeforeKill) {
      expect(job.persisted[line.seq - 1]).toEqual(line)
    }
    expect(job.firstSeqs).toEqual([1, 4])
    expect(server.violations).toEqual([])
    second.child.kill('SIGTERM')
    expect(await exitOf(second, 'the second runner stops')).toBe(0)
  })

  it('delivers after a restart the lines that only reached the spool before SIGKILL', async () => {
    const { server, dir } = await setup()
    // Lines are spooled at once but, with this flush interval, never sent before the kill.
    const env = runnerEnv(server.url, dir, {
      RUNNER_FAKE_STEP_DELAYS: 'clone=60000',
      RUNNER_LOG_FLUSH_MS: '10000',
    })
    const first = await startRunner(['run'], env)
    await waitFor(() => server.hellos.length === 1, 'first hello')
    const job = server.assign(makeJob('jl'))
    await waitFor(
      () => job.steps.find((s) => s.step === 'clone' && s.status === 'running'),
      'clone running',
    )
    const spool = spoolPath(dir, 'jl')
    await waitFor(() => existsSync(spool) && readSpool(spool).length >= 5, 'lines spooled')
    first.child.kill('SIGKILL')
    await exitOf(first, 'the killed runner exits')
    const spooledBeforeKill = readSpool(spool)
    expect(job.persisted).toEqual([])

    await startRunner(['run'], { ...env, RUNNER_FAKE_STEP_DELAYS: '', RUNNER_LOG_FLUSH_MS: '20' })
    await waitFor(() => server.hellos.length === 2, 'second hello')
    server.assign(makeJob('jl', { attempt: 2 }))
    await waitFor(() => job.done[0], 'job.done after the restart', 15_000)
    await waitFor(() => !existsSync(spool), 'the spool removed once everything is acked')
    expect(job.persisted.slice(0, spooledBeforeKill.length)).toEqual(spooledBeforeKill)
    expect(job.persisted.map((l) => l.seq)).toEqual(job.persisted.map((_, i) => i + 1))
    expect(server.violations).toEqual([])
  })
})

/** A runner whose job `jobId` is inside its clone step (made as long as `env` says). */
async function runnerInClone(jobId: string, env: Record<string, string>) {
  const { server, runner } = await fixture.start({ env })
  const job = server.assign(makeJob(jobId))
  await waitFor(
    () => job.steps.find((s) => s.step === 'clone' && s.status === 'running'),
    'clone running',
  )
  return { server, runner, job }
}

describe('runner SIGTERM drain', () => {
  it('lets the running step reach its checkpoint, starts no next step and exits 0', async () => {
    const { runner, job } = await runnerInClone('jt', { RUNNER_FAKE_STEP_DELAYS: 'clone=800' })
    runner.child.kill('SIGTERM')
    expect(await exitOf(runner, 'the runner drains and exits', 10_000)).toBe(0)
    expect(job.steps.find((s) => s.step === 'clone' && s.status === 'done')?.checkpoint?.vmid).toBe(
      100,
    )
    expect(job.steps.map((s) => s.step)).not.toContain('configure')
    expect(job.done).toEqual([])
  })

  it('takes no new job while draining', async () => {
    const { server, runner } = await runnerInClone('ja', { RUNNER_FAKE_STEP_DELAYS: 'clone=1500' })
    runner.child.kill('SIGTERM')
    await runner.waitForOutput(/draining/, 'draining')
    const late = server.assign(makeJob('jb'))
    await runner.waitForOutput(/job jb: not taken, the runner is stopping/, 'the late job refused')
    expect(await exitOf(runner, 'the runner exits')).toBe(0)
    expect(late.hellos).toBe(0)
  })

  it('aborts the step and exits when the drain deadline passes', async () => {
    const { runner, job } = await runnerInClone('jd', {
      RUNNER_FAKE_STEP_DELAYS: 'clone=60000',
      RUNNER_DRAIN_TIMEOUT_MS: '300',
    })
    runner.child.kill('SIGTERM')
    expect(await exitOf(runner, 'the runner exits after the deadline', 10_000)).toBe(0)
    expect(runner.stdout()).toMatch(/drain deadline reached/)
    expect(job.done).toEqual([])
  })

  it('exits at once on a second SIGTERM', async () => {
    const { runner } = await runnerInClone('j2', { RUNNER_FAKE_STEP_DELAYS: 'clone=60000' })
    runner.child.kill('SIGTERM')
    await runner.waitForOutput(/draining/, 'draining')
    runner.child.kill('SIGTERM')
    expect(await exitOf(runner, 'the runner exits at once', 3_000)).toBe(1)
  })
})
