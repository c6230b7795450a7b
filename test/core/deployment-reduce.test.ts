import { describe, expect, it } from 'vitest'
import { initialState, LEASE_MS, reduce, STEP_TIMEOUT_MS } from '../../core/deployment'
import { CLOSE, DEPLOY_STEPS } from '../../core/protocol'
import { deployedSteps, frame, kinds, leased, play, RUNNER, SPEC, T0 } from './reduce-helpers'

/**
 * A deployment's whole life through the reducer, from Node: what each input does to the state
 * and which effects the DeploymentDO then runs, in order.
 */

describe('the deployment reducer', () => {
  it('takes a deploy from queued to ready, then ends the job once', () => {
    const queued = initialState(SPEC, 'job-1', T0)
    const afterLease = play(queued, leased())
    expect(afterLease.state.job?.runnerId).toBe(RUNNER)
    // The lease does not write the D1 row (the first step does).
    expect(afterLease.effects).toEqual([{ type: 'save', row: false, watchChanged: false }])

    const running = deployedSteps()
    expect(running.status).toBe('verifying')
    expect(running.checkpoint.vmid).toBe(4242)
    expect(running.checkpoint.doneSteps).toEqual(DEPLOY_STEPS.slice(0, -1))
    expect(running.steps.find((s) => s.name === 'verify')?.status).toBe('running')

    const end = play(
      running,
      frame({ type: 'step', step: 'verify', status: 'done', at: T0 + 50 }),
      frame(
        { type: 'job.done', outcome: 'succeeded', result: { version: '1.21.4' } },
        'job-1',
        T0 + 60,
      ),
    )
    expect(end.state.status).toBe('ready')
    expect(end.state.result).toEqual({ version: '1.21.4' })
    expect(end.state.job).toBeNull()
    expect(end.state.lastJob).toEqual({ kind: 'deploy', outcome: 'succeeded', endedAt: T0 + 60 })
    // Ready is watched: the live status starts fresh and the runners' lists follow.
    expect(end.effects).toEqual([
      { type: 'save', row: true, watchChanged: true },
      { type: 'close_row', jobId: 'job-1', status: 'done' },
      { type: 'dispatch' },
      { type: 'close_socket', code: 1000, reason: 'job finished' },
    ])
  })

  it('never changes the state it was given', () => {
    const running = deployedSteps()
    const copy = structuredClone(running)
    reduce(running, frame({ type: 'job.done', outcome: 'failed', error: { message: 'boom' } }))
    reduce(running, { type: 'tick', lastHeardAt: 0, at: T0 + 10 * LEASE_MS })
    expect(running).toEqual(copy)
  })

  it('sends a job that is no longer current away, keeping nothing of the frame', () => {
    const running = deployedSteps()
    const other = { ...frame({ type: 'job.hello', attempt: 1 }), runnerId: 'runner-b' }
    const out = reduce(running, other)
    expect(out.effects).toEqual([
      { type: 'close_socket', code: CLOSE.JOB_GONE, reason: 'this job is no longer yours' },
    ])
    const bad = reduce(
      running,
      frame({ type: 'step', step: 'delete_vm', status: 'running', at: 1 }),
    )
    expect(bad.effects).toEqual([
      {
        type: 'close_socket',
        code: CLOSE.BAD_FRAME,
        reason: 'step delete_vm is not part of a deploy job',
      },
    ])
  })

  it('welcomes a resumed runner with the checkpoint and drops resent log lines by seq', () => {
    const running = deployedSteps()
    const hello = reduce(running, frame({ type: 'job.hello', attempt: 2 }))
    expect(hello.effects[0]).toMatchObject({
      type: 'reply',
      frame: { type: 'job.welcome', ackedSeq: 0, checkpoint: { vmid: 4242 } },
    })
    const line = (seq: number) => ({ seq, ts: T0, stream: 'stdout' as const, text: `line ${seq}` })
    const first = reduce(running, frame({ type: 'logs', lines: [line(1), line(2)] }))
    expect(first.state.job?.ackedSeq).toBe(2)
    expect(kinds(first.effects)).toEqual(['append_logs', 'reply', 'arm_alarm'])
    const again = reduce(first.state, frame({ type: 'logs', lines: [line(2), line(3)] }))
    expect(again.effects[0]).toMatchObject({ type: 'append_logs', lines: [line(3)] })
    expect(again.effects[1]).toEqual({
      type: 'reply',
      frame: { type: 'logs.ack', jobId: 'job-1', seq: 3 },
    })
  })

  it('cancels a queued job at once and a running one through its runner', () => {
    const queued = initialState(SPEC, 'job-1', T0)
    const now = play(queued, { type: 'cancel', by: 'admin', leased: false, at: T0 })
    expect(now.state.status).toBe('cancelled')
    expect(now.state.lastJob?.outcome).toBe('cancelled')
    expect(now.effects[0]).toMatchObject({
      type: 'log_line',
      text: expect.stringContaining('admin'),
    })

    const running = deployedSteps()
    const asked = play(running, { type: 'cancel', by: 'admin', leased: true, at: T0 })
    expect(asked.state.status).toBe('cancelling')
    expect(asked.effects).toContainEqual({
      type: 'stop_on_runner',
      jobId: 'job-1',
      runnerId: RUNNER,
    })
    const stopped = play(asked.state, frame({ type: 'job.done', outcome: 'cancelled' }))
    expect(stopped.state.status).toBe('cancelled')
    expect(stopped.state.steps.find((s) => s.name === 'verify')?.status).toBe('cancelled')
    // A runner that vanished while cancelling: nobody is left to stop, the cancel completes.
    const gone = play(asked.state, {
      type: 'runner_lost',
      runnerId: RUNNER,
      why: 'revoked',
      at: T0,
    })
    expect(gone.state.status).toBe('cancelled')
  })

  it('requeues a job whose runner went silent, and fails a step that overran', () => {
    const running = deployedSteps()
    const silent = play(running, { type: 'tick', lastHeardAt: 0, at: T0 + LEASE_MS + 1 })
    expect(silent.state.job?.runnerId).toBeNull()
    expect(silent.state.steps.find((s) => s.name === 'verify')?.status).toBe('pending')
    expect(kinds(silent.effects)).toEqual(['requeue_row', 'warn', 'save', 'dispatch'])

    // Heartbeats keep the lease; the step's own deadline still applies.
    const late = T0 + STEP_TIMEOUT_MS.verify + 100
    const overran = play(running, { type: 'tick', lastHeardAt: late - 10, at: late })
    expect(overran.state.status).toBe('failed')
    expect(overran.state.error).toMatchObject({
      step: 'verify',
      message: expect.stringContaining('10 minutes'),
    })
    expect(kinds(overran.effects)).toEqual([
      'stop_on_runner',
      'save',
      'close_row',
      'apply_cleanup_policy',
      'dispatch',
    ])
  })

  it('retries a failed deploy from its failed step', () => {
    const failed = play(
      deployedSteps(),
      frame({
        type: 'step',
        step: 'verify',
        status: 'failed',
        at: T0,
        error: { message: 'no answer' },
      }),
      frame({ type: 'job.done', outcome: 'failed', error: { message: 'no answer' } }),
    ).state
    expect(failed.status).toBe('failed')
    const retried = play(failed, { type: 'retry', jobId: 'job-2', at: T0 })
    expect(retried.state.status).toBe('queued')
    expect(retried.state.error).toBeNull()
    expect(retried.state.job?.jobId).toBe('job-2')
    expect(retried.state.steps.filter((s) => s.status === 'done').map((s) => s.name)).toEqual(
      DEPLOY_STEPS.slice(0, -1),
    )
  })

  it('refuses what the status does not allow, in words', () => {
    const ready = play(deployedSteps(), frame({ type: 'job.done', outcome: 'succeeded' })).state
    expect(reduce(ready, { type: 'power', action: 'start', jobId: 'j', at: T0 }).refused).toBe(
      'the game is already running',
    )
    expect(reduce(ready, { type: 'retry', jobId: 'j', at: T0 }).refused).toBe(
      'retrying is only possible after a failure, not while ready',
    )
    expect(reduce(ready, { type: 'cancel', by: 'a', leased: false, at: T0 }).refused).toBe(
      'cancelling is not allowed while ready',
    )
    const stopping = play(ready, { type: 'power', action: 'stop', jobId: 'j2', at: T0 }).state
    expect(stopping.status).toBe('stopping')
    expect(reduce(stopping, { type: 'destroy', jobId: 'j3', auto: false, at: T0 }).refused).toBe(
      'destroying is not allowed while stopping',
    )
  })

  it('lets the cleanup policy destroy only a failure nobody acted on, keeping its error', () => {
    const failed = play(
      deployedSteps(),
      frame({ type: 'job.done', outcome: 'failed', error: { message: 'x' } }),
    ).state
    const auto = play(failed, { type: 'destroy', jobId: 'job-d', auto: true, at: T0 })
    expect(auto.state.status).toBe('destroying')
    expect(auto.state.error?.message).toBe('x')
    expect(auto.state.job?.auto).toBe(true)
    expect(auto.effects.at(-1)).toEqual({
      type: 'insert_row',
      jobId: 'job-d',
      kind: 'destroy',
      audit: {
        action: 'deployment.auto_destroy',
        details: { policy: 'onFailure=destroy', error: 'x' },
      },
    })
    const retried = play(failed, { type: 'retry', jobId: 'job-2', at: T0 }).state
    expect(
      reduce(retried, { type: 'destroy', jobId: 'job-d', auto: true, at: T0 }).refused,
    ).toBeDefined()
  })

  it('keeps the newest live status, and only while the VM is watched', () => {
    const live = (checkedAt: number) => ({ checkedAt, power: 'running' as const, game: null })
    const running = deployedSteps()
    expect(reduce(running, { type: 'live', live: live(1) }).refused).toBe('not watched')
    const ready = play(running, frame({ type: 'job.done', outcome: 'succeeded' })).state
    const seen = play(ready, { type: 'live', live: live(5) })
    expect(seen.effects).toEqual([{ type: 'save_live', live: live(5) }])
    expect(reduce(seen.state, { type: 'live', live: live(4) }).refused).toBe('older')
  })

  it('backs up a ready or stopped deployment and leaves it as it was, whatever the outcome', () => {
    const ready = play(deployedSteps(), frame({ type: 'job.done', outcome: 'succeeded' })).state
    const backing = play(ready, { type: 'backup', jobId: 'b-1', at: T0 })
    expect(backing.state.status).toBe('backing_up')
    expect(backing.state.steps.map((s) => s.name)).toEqual([
      'save_world',
      'vzdump',
      'resume_world',
      'prune_backups',
    ])
    const held = play(backing.state, leased('b-1'))
    const failed = play(
      held.state,
      frame({ type: 'step', step: 'save_world', status: 'running', at: T0 }, 'b-1'),
      frame(
        { type: 'job.done', outcome: 'failed', error: { message: 'No space left on device' } },
        'b-1',
        T0 + 5,
      ),
    )
    // The server still runs: not a failed deployment, the failure is told in the last job.
    expect(failed.state.status).toBe('ready')
    expect(failed.state.error).toBeNull()
    expect(failed.state.lastJob).toEqual({
      kind: 'backup',
      outcome: 'failed',
      endedAt: T0 + 5,
      error: 'No space left on device',
    })
    expect(kinds(failed.effects)).toEqual(['save', 'close_row', 'dispatch', 'close_socket'])

    const stopped = play(
      ready,
      { type: 'power', action: 'stop', jobId: 'p', at: T0 },
      leased('p'),
      frame({ type: 'job.done', outcome: 'succeeded' }, 'p'),
    ).state
    expect(stopped.status).toBe('stopped')
    const overran = play(
      stopped,
      { type: 'backup', jobId: 'b-2', at: T0 },
      leased('b-2'),
      frame({ type: 'step', step: 'vzdump', status: 'running', at: T0 }, 'b-2'),
      {
        type: 'tick',
        lastHeardAt: T0 + STEP_TIMEOUT_MS.vzdump,
        at: T0 + STEP_TIMEOUT_MS.vzdump + 1,
      },
    )
    expect(overran.state.status).toBe('stopped')
    expect(overran.state.lastJob?.error).toContain('vzdump did not finish')
    expect(reduce(deployedSteps(), { type: 'backup', jobId: 'b', at: T0 }).refused).toBe(
      'backing up is only possible when ready or stopped, not while verifying',
    )
  })

  it('restores a backup over the VM; a retry after a failure skips the safety backup', () => {
    const ready = play(deployedSteps(), frame({ type: 'job.done', outcome: 'succeeded' })).state
    const volid = 'local:backup/vzdump-qemu-4242-x.vma.zst'
    const asked = play(ready, { type: 'restore', jobId: 'r-1', at: T0, volid })
    expect(asked.state.status).toBe('restoring')
    expect(asked.state.job?.restore).toEqual({ volid, skipSafety: false })
    expect(asked.state.steps.map((s) => s.name)).toEqual([
      'safety_backup',
      'stop_vm',
      'restore_vm',
      'start',
      'wait_ssh',
      'verify',
    ])
    const failed = play(
      asked.state,
      leased('r-1'),
      frame({ type: 'step', step: 'start', status: 'running', at: T0 }, 'r-1'),
      frame({ type: 'job.done', outcome: 'failed', error: { message: 'no boot' } }, 'r-1'),
    ).state
    // The VM may be half-restored: a failed deployment, which retry or another restore repairs.
    expect(failed.status).toBe('failed')
    expect(failed.failedKind).toBe('restore')
    const again = play(failed, { type: 'retry', jobId: 'r-2', at: T0 })
    expect(again.state.status).toBe('restoring')
    expect(again.state.job?.restore).toEqual({ volid, skipSafety: true })
    const done = play(
      again.state,
      leased('r-2'),
      frame({ type: 'job.done', outcome: 'succeeded', result: { version: '1.20' } }, 'r-2'),
    ).state
    expect(done.status).toBe('ready')
    expect(done.restore).toBeNull()
    expect(done.result).toEqual({ version: '1.20' })
  })
})
