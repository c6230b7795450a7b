import { describe, expect, it } from 'vitest'
import {
  initialState,
  LEASE_MS,
  reduce,
  STEP_TIMEOUT_MS,
  type DeploymentInput,
  type DeploymentState,
  type Reduction,
} from '../../core/deployment'
import {
  changeCost,
  changeLines,
  changeRefusal,
  rollbackJobId,
  snapshotName,
} from '../../core/change-plan'
import {
  CHANGE_STEPS,
  DEPLOY_STEPS,
  ROLLBACK_STEPS,
  type DeploymentSpec,
  type RunnerToDeployment,
} from '../../core/protocol'

/**
 * A change of a ready deployment through the reducer: the new spec in force during the change,
 * the old one back (with a rollback job) when it fails, is cancelled or times out, and never a
 * deployment left half-changed.
 */

const SPEC: DeploymentSpec = {
  deploymentId: 'd-1',
  name: 'survival',
  game: 'minecraft',
  gameConfig: { version: '1.21.4', motd: 'Old', maxPlayers: 20 },
  cores: 2,
  memoryMiB: 4096,
  diskGiB: 16,
  ipAddress: '127.0.0.50',
  sshPublicKeys: [],
}
const NEW: DeploymentSpec = {
  ...SPEC,
  gameConfig: { version: '1.21.5', motd: 'New', maxPlayers: 42 },
  memoryMiB: 6144,
  diskGiB: 24,
}
const T0 = 1_700_000_000_000
const RB = rollbackJobId('c-1')
const RUNNER = 'runner-a'

function play(state: DeploymentState, ...inputs: DeploymentInput[]): Reduction {
  let out: Reduction = { state, effects: [] }
  for (const input of inputs) {
    out = reduce(out.state, input)
    if (out.refused) throw new Error(`${input.type} refused: ${out.refused}`)
  }
  return out
}

type Body = RunnerToDeployment extends infer F
  ? F extends unknown
    ? Omit<F, 'v' | 'jobId'>
    : never
  : never

const frame = (body: Body, jobId: string, at = T0) =>
  ({
    type: 'runner_frame',
    runnerId: RUNNER,
    jobId,
    frame: { v: 1, jobId, ...body } as RunnerToDeployment,
    at,
  }) satisfies DeploymentInput

const leased = (jobId: string, at = T0): DeploymentInput => ({
  type: 'leased',
  jobId,
  runnerId: RUNNER,
  attempt: 1,
  at,
})

/** Steps done one after the other, each naming the next. */
function stepsDone(jobId: string, steps: readonly string[], upTo: number): DeploymentInput[] {
  const inputs: DeploymentInput[] = [
    frame({ type: 'step', step: steps[0] as never, status: 'running', at: T0 }, jobId),
  ]
  for (let i = 0; i < upTo; i++) {
    inputs.push(
      frame(
        {
          type: 'step',
          step: steps[i] as never,
          status: 'done',
          at: T0 + i,
          next: steps[i + 1] as never,
          ...(steps[i] === 'provision' ? { checkpoint: { gameVersion: '1.21.5' } } : {}),
        },
        jobId,
      ),
    )
  }
  return inputs
}

function ready(): DeploymentState {
  const inputs: DeploymentInput[] = [leased('job-1'), ...stepsDone('job-1', DEPLOY_STEPS, 7)]
  inputs.push(frame({ type: 'step', step: 'verify', status: 'done', at: T0 + 9 }, 'job-1'))
  inputs.push(frame({ type: 'job.done', outcome: 'succeeded', result: { motd: 'Old' } }, 'job-1'))
  const s = play(initialState(SPEC, 'job-1', T0), ...inputs).state
  return { ...s, checkpoint: { ...s.checkpoint, vmid: 4242, gameVersion: '1.21.4' } }
}

const change = (jobId = 'c-1'): Extract<DeploymentInput, { type: 'change' }> => ({
  type: 'change',
  jobId,
  spec: NEW,
  sealed: 'sealed-new',
  at: T0 + 100,
})

describe('a change of a deployment', () => {
  it('runs the change with the new spec and keeps it once the game answers', () => {
    const started = play(ready(), change())
    const s = started.state
    expect(s.status).toBe('changing')
    expect(s.spec).toEqual(NEW)
    expect(s.steps.map((x) => x.name)).toEqual([...CHANGE_STEPS])
    expect(s.job).toMatchObject({ kind: 'change', change: { snapshot: snapshotName('c-1') } })
    expect(s.job?.change?.summary).toEqual([
      'memoryMiB: 4096 → 6144',
      'diskGiB: 16 → 24',
      'maxPlayers: 20 → 42',
      'motd: Old → New',
      'version: 1.21.4 → 1.21.5',
    ])
    const done = play(
      s,
      leased('c-1'),
      ...stepsDone('c-1', CHANGE_STEPS, 6),
      frame({ type: 'job.done', outcome: 'succeeded', result: { motd: 'New' } }, 'c-1', T0 + 200),
    )
    expect(done.state.status).toBe('ready')
    expect(done.state.spec).toEqual(NEW)
    expect(done.state.checkpoint.gameVersion).toBe('1.21.5')
    expect(done.state.result).toEqual({ motd: 'New' })
    expect(done.state.change).toBeNull()
    expect(done.state.lastJob).toEqual({ kind: 'change', outcome: 'succeeded', endedAt: T0 + 200 })
    // The D1 row learns the new spec and sealed secrets only now.
    expect(done.effects).toContainEqual({ type: 'save_inputs', spec: NEW, sealed: 'sealed-new' })
  })

  it('rolls a failed change back to its snapshot and ends ready with the failure told', () => {
    const failing = play(
      ready(),
      change(),
      leased('c-1'),
      ...stepsDone('c-1', CHANGE_STEPS, 4),
      frame(
        {
          type: 'job.done',
          outcome: 'failed',
          error: { message: 'verify: the game does not answer' },
        },
        'c-1',
        T0 + 150,
      ),
    )
    const s = failing.state
    expect(s.status).toBe('rolling_back')
    // The old spec and release are back for the rollback's verify.
    expect(s.spec).toEqual(SPEC)
    expect(s.checkpoint.gameVersion).toBe('1.21.4')
    expect(s.job).toMatchObject({ jobId: RB, kind: 'rollback' })
    expect(s.steps.map((x) => x.name)).toEqual([...ROLLBACK_STEPS])
    expect(failing.effects).toContainEqual({ type: 'close_row', jobId: 'c-1', status: 'failed' })
    expect(failing.effects).toContainEqual({
      type: 'insert_row',
      jobId: RB,
      kind: 'rollback',
      audit: {
        action: 'deployment.change_rolled_back',
        details: { snapshot: snapshotName('c-1'), error: 'verify: the game does not answer' },
      },
    })
    const back = play(
      s,
      leased(RB),
      ...stepsDone(RB, ROLLBACK_STEPS, 3),
      frame({ type: 'job.done', outcome: 'succeeded', result: { motd: 'Old' } }, RB, T0 + 300),
    ).state
    expect(back.status).toBe('ready')
    expect(back.spec).toEqual(SPEC)
    expect(back.result).toEqual({ motd: 'Old' })
    expect(back.lastJob).toMatchObject({ kind: 'change', outcome: 'failed', rolledBack: true })
    expect(back.lastJob?.error).toContain('verify: the game does not answer')
    expect(back.lastJob?.error).toContain(`rolled back to snapshot ${snapshotName('c-1')}`)
    // Retry tries the same change again, with a snapshot of its own.
    const again = play(back, { type: 'retry', jobId: 'c-2', at: T0 + 400 }).state
    expect(again.status).toBe('changing')
    expect(again.spec).toEqual(NEW)
    expect(again.job?.change?.snapshot).toBe(snapshotName('c-2'))
  })

  it('ends a change that failed before its snapshot at once: nothing was changed', () => {
    const s = play(
      ready(),
      change(),
      leased('c-1'),
      frame({ type: 'step', step: 'snapshot', status: 'running', at: T0 }, 'c-1'),
      frame(
        {
          type: 'job.done',
          outcome: 'failed',
          error: { message: 'snapshot feature is not available' },
        },
        'c-1',
      ),
    ).state
    expect(s.status).toBe('ready')
    expect(s.spec).toEqual(SPEC)
    expect(s.job).toBeNull()
    expect(s.lastJob?.error).toBe('snapshot feature is not available; nothing was changed')
  })

  it('rolls back a cancelled change, and refuses to cancel the rollback', () => {
    const cancelling = play(
      ready(),
      change(),
      leased('c-1'),
      ...stepsDone('c-1', CHANGE_STEPS, 2),
      { type: 'cancel', by: 'admin', leased: true, at: T0 + 120 },
    )
    expect(cancelling.state.status).toBe('changing')
    expect(cancelling.effects).toContainEqual({
      type: 'stop_on_runner',
      jobId: 'c-1',
      runnerId: RUNNER,
    })
    const rolling = play(
      cancelling.state,
      frame({ type: 'job.done', outcome: 'cancelled' }, 'c-1', T0 + 130),
    ).state
    expect(rolling.status).toBe('rolling_back')
    expect(
      reduce(rolling, { type: 'cancel', by: 'admin', leased: true, at: T0 }).refused,
    ).toContain('a rollback cannot be cancelled')
    const back = play(
      rolling,
      leased(RB),
      frame({ type: 'job.done', outcome: 'succeeded' }, RB, T0 + 200),
    ).state
    expect(back.lastJob).toMatchObject({ kind: 'change', outcome: 'cancelled', rolledBack: true })
    // A cancelled change is not offered for a retry.
    expect(back.failedChange).toBeNull()
    // A queued change cancelled before any runner took it ends at once.
    const queued = play(ready(), change('c-9'), {
      type: 'cancel',
      by: 'admin',
      leased: false,
      at: T0,
    })
    expect(queued.state.status).toBe('ready')
    expect(queued.state.spec).toEqual(SPEC)
  })

  it('resumes a change whose runner died, and rolls back one whose step overran', () => {
    const mid = play(ready(), change(), leased('c-1'), ...stepsDone('c-1', CHANGE_STEPS, 3))
    const requeued = play(mid.state, {
      type: 'tick',
      lastHeardAt: T0,
      at: T0 + LEASE_MS + 1,
    })
    // Still changing, back in the queue, its done steps kept for the next runner.
    expect(requeued.state.status).toBe('changing')
    expect(requeued.state.job?.runnerId).toBeNull()
    expect(requeued.state.job?.doneSteps).toEqual(['snapshot', 'change_vm', 'wait_ssh'])
    expect(requeued.effects).toContainEqual({ type: 'requeue_row', jobId: 'c-1' })
    const overran = play(mid.state, {
      type: 'tick',
      lastHeardAt: T0 + STEP_TIMEOUT_MS.provision,
      at: T0 + STEP_TIMEOUT_MS.provision + 5,
    })
    expect(overran.state.status).toBe('rolling_back')
    expect(overran.state.spec).toEqual(SPEC)
    // A rollback that fails leaves the deployment failed; retry rolls back again.
    const failed = play(
      overran.state,
      leased(RB),
      frame({ type: 'job.done', outcome: 'failed', error: { message: 'no snapshot' } }, RB),
    ).state
    expect(failed.status).toBe('failed')
    const retried = play(failed, { type: 'retry', jobId: 'r-2', at: T0 }).state
    expect(retried.status).toBe('rolling_back')
    expect(retried.job?.change?.snapshot).toBe(snapshotName('c-1'))
  })

  it('refuses a downgrade, a smaller disk and a change while not ready, in words', () => {
    const r = ready()
    const older = { ...SPEC, gameConfig: { ...SPEC.gameConfig, version: '1.21.1' } }
    expect(reduce(r, { ...change(), spec: older } as DeploymentInput).refused).toMatch(
      /downgrading from 1\.21\.4 to 1\.21\.1 is refused: .*world format/,
    )
    expect(
      reduce(r, { ...change(), spec: { ...NEW, diskGiB: 8 } } as DeploymentInput).refused,
    ).toBe('the disk can only grow: 8 GiB is smaller than its 16 GiB')
    expect(reduce(r, { ...change(), spec: SPEC } as DeploymentInput).refused).toBe(
      'nothing would change',
    )
    const changing = play(r, change()).state
    expect(reduce(changing, change('c-2')).refused).toBe(
      'changing is only possible when ready, not while changing',
    )
  })
})

describe('the change plan', () => {
  it('names snapshots as Proxmox accepts them and tells the cost', () => {
    const id = '0b7c6f1e-3d4a-4b5c-8d9e-0f1a2b3c4d5e'
    expect(rollbackJobId(id)).toBe('f48390e1-c2b5-b4a3-7261-f0e5d4c3b2a1')
    expect(snapshotName('0b7c6f1e-3d4a-4b5c-8d9e-0f1a2b3c4d5e')).toMatch(/^[a-z][a-z0-9_-]{1,39}$/)
    expect(changeCost(SPEC, NEW, '1.21.4')).toEqual({
      restart: true,
      diskGrows: true,
      versionUpgrade: true,
      live: false,
    })
    const motdOnly = { ...SPEC, gameConfig: { ...SPEC.gameConfig, motd: 'x' } }
    expect(changeCost(SPEC, motdOnly)).toEqual({
      restart: false,
      diskGrows: false,
      versionUpgrade: false,
      live: false,
    })
    // A pinned version stays as it was unless the admin moves it.
    expect(changeLines(SPEC, motdOnly).map((l) => l.key)).toEqual(['motd'])
    expect(changeRefusal(SPEC, { ...SPEC, game: 'valheim' })).toContain('cannot change game')
  })

  it('never shows a sensitive field’s values', () => {
    const v: DeploymentSpec = { ...SPEC, game: 'valheim', gameConfig: { password: 'old-secret' } }
    const lines = changeLines(v, { ...v, gameConfig: { password: 'new-secret' } })
    expect(lines).toEqual([{ key: 'password', from: '', to: '', secret: true }])
    // Sealed apart from the spec: a change of it alone is a change, told without its value.
    const started = play(ready(), { ...change(), spec: SPEC, secretKeys: ['password'] }).state
    expect(started.job?.change?.summary).toEqual(['password changed'])
  })
})
