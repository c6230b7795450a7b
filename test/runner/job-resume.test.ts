import { describe, expect, it } from 'vitest'
import { DEPLOY_STEPS } from '../../core/protocol'
import { useRunnerFixture } from './fixture'
import { makeJob, waitFor } from './harness'

const fixture = useRunnerFixture()
const setup = (env: Record<string, string> = {}) => fixture.start({ env })

describe('runner resume and parallelism', () => {
  it('skips the steps the server checkpoint marks done', async () => {
    const { server } = await setup()
    const job = server.assign(makeJob('jr'), { doneSteps: ['allocate', 'clone'], vmid: 123 })
    await waitFor(() => job.done[0], 'job.done')
    expect(job.steps.map((s) => s.step)).not.toContain('allocate')
    expect(job.steps.map((s) => s.step)).not.toContain('clone')
    expect(job.done[0]?.outcome).toBe('succeeded')
  })

  it('resends exactly the unacked lines, in order, after the job socket drops', async () => {
    const { server } = await setup({
      RUNNER_FAKE_STEP_DELAYS: 'provision=1500',
      RUNNER_FAKE_LINES_PER_STEP: '3',
    })
    const state = server.assign(makeJob('jd'))
    state.maxAck = 5
    await waitFor(() => state.expectSeqAfter >= 10, 'the runner sent 10 lines')
    expect(state.persisted.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5])
    state.maxAck = Infinity
    server.dropJobSocket('jd')
    await waitFor(() => state.done[0], 'job.done after the reconnect')
    await waitFor(() => state.persisted.length >= 8 * 4, 'every line persisted')
    expect(state.firstSeqs).toEqual([1, 6])
    expect(state.persisted.map((l) => l.seq)).toEqual(state.persisted.map((_, i) => i + 1))
    expect(server.violations).toEqual([])
  })

  it('reconnects a silent job socket and still completes the job', async () => {
    const { server } = await setup({
      RUNNER_HEARTBEAT_INTERVAL_MS: '100',
      RUNNER_FAKE_STEP_DELAYS: 'provision=1500',
    })
    const job = server.assign(makeJob('jh'))
    await waitFor(() => job.steps.find((s) => s.step === 'provision'), 'provision running')
    server.answerPings = false
    await waitFor(() => job.hellos >= 2, 'a second job.hello after the silence')
    server.answerPings = true
    await waitFor(() => job.done[0], 'job.done', 15_000)
    expect(job.done[0]?.outcome).toBe('succeeded')
    expect(job.checkpoint.doneSteps).toEqual([...DEPLOY_STEPS])
    expect(server.violations).toEqual([])
  })

  it('delivers a burst of 20 000 lines complete and in order', async () => {
    const { server } = await setup({
      RUNNER_FAKE_BURST_LINES: '20000',
      RUNNER_FAKE_BURST_STEP: 'provision',
    })
    const job = server.assign(makeJob('jb'))
    await waitFor(() => job.done[0], 'job.done', 20_000)
    await waitFor(() => job.persisted.length >= 20_000, 'every line persisted', 20_000)
    expect(job.persisted.map((l) => l.seq)).toEqual(job.persisted.map((_, i) => i + 1))
    expect(job.persisted.filter((l) => l.text.includes('burst')).length).toBe(20_000)
    expect(server.violations).toEqual([])
  })

  it('never runs more jobs at once than RUNNER_MAX_JOBS', async () => {
    const { server, runner } = await setup({
      RUNNER_MAX_JOBS: '2',
      RUNNER_FAKE_STEP_DELAY_MS: '60',
    })
    const jobs = ['p1', 'p2', 'p3'].map((id) => server.assign(makeJob(id)))
    await runner.waitForOutput(/job p3: not taken, already running 2 job/, 'the third job refused')
    await waitFor(() => jobs[0]?.done[0] && jobs[1]?.done[0], 'the first two jobs done', 15_000)
    expect(jobs[2]?.hellos).toBe(0)
    await waitFor(() => server.openJobSockets === 0, 'the first two job sockets closed')
    server.assign(makeJob('p3'))
    await waitFor(() => jobs[2]?.done[0], 'the third job done once a slot is free', 15_000)
    expect(server.maxOpenJobSockets).toBe(2)
  })
})
