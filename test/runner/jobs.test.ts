import { describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { CLOSE, DEPLOY_STEPS, DESTROY_STEPS } from '../../core/protocol'
import { readFakeVmState } from '../../runner/src/executors/fake'
import { spoolPath } from '../../runner/src/jobs/job-run'
import { useRunnerFixture } from './fixture'
import { GAME_SECRET, RCON_SECRET, TOKEN_SECRET, makeJob, waitFor } from './harness'

const fixture = useRunnerFixture()
const setup = (env: Record<string, string> = {}) => fixture.start({ env })

describe('runner jobs', () => {
  it('runs a deploy job through every step and reports success with numbered logs', async () => {
    const { server } = await setup()
    const job = server.assign(makeJob('j1'))
    await waitFor(() => job.done[0], 'job.done', 10_000)
    expect(job.done[0]?.outcome).toBe('succeeded')
    expect(job.checkpoint.doneSteps).toEqual([...DEPLOY_STEPS])
    expect(job.steps.filter((s) => s.status === 'done').map((s) => s.step)).toEqual([
      ...DEPLOY_STEPS,
    ])
    await waitFor(() => job.persisted.length >= DEPLOY_STEPS.length * 3, 'all lines acked')
    expect(job.persisted.map((l) => l.seq)).toEqual(job.persisted.map((_, i) => i + 1))
    expect(server.violations).toEqual([])
  })
})

describe('runner frames per job', () => {
  it('reports each step boundary in one frame, and the verdict without waiting for acks', async () => {
    const { server } = await setup()
    const job = server.assign(makeJob('jf'))
    // The server persists nothing: the verdict still comes, right behind the lines it sent.
    job.maxAck = 0
    await waitFor(() => job.done[0], 'job.done', 10_000)
    const frames = job.wire.map((t) => JSON.parse(t) as { type: string; status?: string })
    const steps = frames.filter((f) => f.type === 'step')
    // The first start, then one frame per step's end (naming the next step), not two.
    expect(steps).toHaveLength(DEPLOY_STEPS.length + 1)
    expect(steps.slice(1, -1).every((f) => 'next' in f && f.status === 'done')).toBe(true)
    expect(job.steps.map((s) => `${s.step}:${s.status}`)).toEqual(
      DEPLOY_STEPS.flatMap((s) => [`${s}:running`, `${s}:done`]),
    )
    const types = frames.map((f) => f.type)
    expect(types.lastIndexOf('logs')).toBeLessThan(types.indexOf('job.done'))
    expect(job.persisted).toEqual([])
    expect(server.violations).toEqual([])
  })
})

describe('runner destroy jobs and lost jobs', () => {
  it('runs a destroy job after a deploy and the VM is gone', async () => {
    const { server, dir } = await setup()
    const deploy = server.assign(makeJob('jx'))
    await waitFor(() => deploy.done[0], 'deploy done')
    expect(readFakeVmState(join(dir, 'fake-vms.json')).vms).toEqual({ 'dep-jx': 100 })
    const destroy = server.assign(
      makeJob('jx-destroy', {
        kind: 'destroy',
        deploymentId: 'dep-jx',
        spec: { ...makeJob('jx').spec },
      }),
    )
    await waitFor(() => destroy.done[0], 'destroy done')
    expect(destroy.checkpoint.doneSteps).toEqual([...DESTROY_STEPS])
    expect(readFakeVmState(join(dir, 'fake-vms.json')).vms).toEqual({})
  })

  it('stops a job without reporting when the server closes its socket as JOB_GONE', async () => {
    const { server, runner, dir } = await setup({ RUNNER_FAKE_STEP_DELAYS: 'clone=60000' })
    const job = server.assign(makeJob('jg'))
    await waitFor(() => job.steps.find((s) => s.step === 'clone'), 'clone running')
    server.closeJob('jg', CLOSE.JOB_GONE)
    await runner.waitForOutput(/job jg: no longer ours, stopped/, 'the job stopped')
    expect(job.done).toEqual([])
    expect(existsSync(spoolPath(dir, 'jg'))).toBe(false)
  })

  it('frees the slot of a job whose socket the server refuses with 404', async () => {
    const { server, runner } = await setup({ RUNNER_MAX_JOBS: '1' })
    server.assign(makeJob('j404'))
    server.jobs.delete('j404')
    await runner.waitForOutput(
      /job j404: the server took the job back \(HTTP 404\)/,
      'the job given up',
    )
    const next = server.assign(makeJob('jnext'))
    await waitFor(() => next.done[0], 'the next job runs in the freed slot')
    expect(next.done[0]?.outcome).toBe('succeeded')
  })
})

describe('runner job failures and cancel', () => {
  it('reports the failed step with its error, then job.done failed', async () => {
    const { server } = await setup({
      RUNNER_FAKE_FAIL_STEP: 'configure',
      RUNNER_FAKE_FAIL_MESSAGE: 'qm set said no',
    })
    const job = server.assign(makeJob('jf'))
    const done = await waitFor(() => job.done[0], 'job.done')
    const failed = job.steps.find((s) => s.status === 'failed')
    expect(failed).toMatchObject({
      step: 'configure',
      error: { message: 'qm set said no', detail: 'fake detail for configure' },
    })
    expect(done).toMatchObject({
      outcome: 'failed',
      error: { step: 'configure', message: 'qm set said no' },
    })
    expect(job.steps.map((s) => s.step)).not.toContain('resize')
  })

  it('cancels a running step when the control socket says job.cancel', async () => {
    const { server } = await setup({ RUNNER_FAKE_STEP_DELAYS: 'clone=60000' })
    const job = server.assign(makeJob('jc'))
    await waitFor(
      () => job.steps.find((s) => s.step === 'clone' && s.status === 'running'),
      'clone running',
    )
    server.sendControl({ v: 1, type: 'job.cancel', jobId: 'jc' })
    const done = await waitFor(() => job.done[0], 'job.done cancelled', 5_000)
    expect(done).toMatchObject({ outcome: 'cancelled', error: { step: 'clone' } })
    expect(job.steps.map((s) => s.step)).not.toContain('configure')
  })

  it('cancels a running step when the job socket says job.cancel', async () => {
    const { server } = await setup({ RUNNER_FAKE_STEP_DELAYS: 'provision=60000' })
    const job = server.assign(makeJob('jc2'))
    await waitFor(
      () => job.steps.find((s) => s.step === 'provision' && s.status === 'running'),
      'provision running',
    )
    server.sendJob('jc2', { v: 1, type: 'job.cancel', jobId: 'jc2' })
    const done = await waitFor(() => job.done[0], 'job.done cancelled', 5_000)
    expect(done.outcome).toBe('cancelled')
  })

  it('reports cancelled without running a step when the welcome says cancel was requested', async () => {
    const { server } = await setup()
    const job = server.assign(makeJob('jc3'))
    job.cancelRequested = true
    const done = await waitFor(() => job.done[0], 'job.done cancelled')
    expect(done.outcome).toBe('cancelled')
    expect(job.steps).toEqual([])
  })
})

describe('runner secrets and connection tests', () => {
  it('never sends a known secret or a password pattern on the wire nor prints it', async () => {
    const { server, runner } = await setup({
      RUNNER_FAKE_LEAK_SECRETS: '1',
      RUNNER_FAKE_FAIL_STEP: 'verify',
      RUNNER_FAKE_FAIL_MESSAGE: `rcon refused ${RCON_SECRET}`,
    })
    const job = server.assign(makeJob('js'))
    await waitFor(() => job.done[0], 'job.done')
    await waitFor(() => job.pending.length === 0 && job.persisted.length > 20, 'lines persisted')
    const everything = [...job.wire, ...server.controlWire, runner.stdout(), runner.stderr()].join(
      '\n',
    )
    expect(everything).toContain('[REDACTED]')
    for (const secret of [
      TOKEN_SECRET,
      RCON_SECRET,
      GAME_SECRET,
      'not-a-known-secret-but-a-password',
    ]) {
      expect(everything).not.toContain(secret)
    }
    expect(job.done[0]?.error?.message).toBe('rcon refused [REDACTED]')
  })

  it('answers test.request with the executor checks and no secret', async () => {
    const { server } = await setup({ RUNNER_FAKE_LEAK_SECRETS: '1' })
    server.sendControl({
      v: 1,
      type: 'test.request',
      requestId: 't1',
      proxmox: makeJob('x').proxmox,
    })
    const result = await waitFor(() => server.testResults[0], 'test.result')
    expect(result.requestId).toBe('t1')
    expect(result.checks.map((c) => c.ok)).toEqual([true, true])
    expect(server.controlWire.join('\n')).not.toContain(TOKEN_SECRET)
  })

  it('answers capacity.request with the node and storage figures, by request id', async () => {
    const { server } = await setup()
    const proxmox = makeJob('x').proxmox
    server.sendControl({ v: 1, type: 'capacity.request', requestId: 'c1', proxmox })
    const result = await waitFor(
      () => server.otherFrames.find((f) => f.type === 'capacity.result'),
      'capacity.result',
    )
    expect(result).toEqual({
      v: 1,
      type: 'capacity.result',
      requestId: 'c1',
      capacity: {
        node: proxmox.node,
        memory: { free: 60 * 1024 ** 3, total: 64 * 1024 ** 3 },
        storage: { id: proxmox.storage, avail: 900 * 1024 ** 3, total: 1024 ** 4 },
      },
    })
  })
})
