import { describe, expect, it } from 'vitest'
import { reduce, type DeploymentInput, type DeploymentState } from '../../core/deployment'
import { rollbackJobId, updateRefusal } from '../../core/change-plan'
import { CHANGE_STEPS } from '../../core/protocol'
import { deployedSteps, frame, leased, play, SPEC, T0 } from './reduce-helpers'

/**
 * "Update available" through the reducer: a deployment that follows `latest` moves to the newer
 * release a runner reported, as a change job with the same spec; a pinned one stays pinned, an
 * older or equal release is refused, and a rolled-back update is tried again as an update.
 */

const LATEST = { ...SPEC, gameConfig: { version: 'latest', motd: 'Hi' } }

/** A ready `latest` deployment on 26.1 whose live status names `newest` as the channel's newest. */
function ready(newest?: string): DeploymentState {
  const s = play(
    deployedSteps(),
    frame({ type: 'step', step: 'verify', status: 'done', at: T0 + 9 }),
    frame({ type: 'job.done', outcome: 'succeeded', result: { version: '26.1' } }),
  ).state
  return {
    ...s,
    spec: LATEST,
    checkpoint: { ...s.checkpoint, gameVersion: '26.1' },
    live: {
      checkedAt: T0 + 10,
      power: 'running',
      game: null,
      ...(newest ? { latestVersion: newest } : {}),
    },
  }
}

const update = (version: string, jobId = 'u-1'): DeploymentInput => ({
  type: 'change',
  jobId,
  spec: LATEST,
  updateTo: version,
  at: T0 + 100,
})

describe('updating a deployment that follows latest', () => {
  it('starts a change job to the reported release with the same settings', () => {
    const out = play(ready('26.1.1'), update('26.1.1'))
    expect(out.state.status).toBe('changing')
    expect(out.state.spec).toEqual(LATEST)
    expect(out.state.job).toMatchObject({ jobId: 'u-1', kind: 'change' })
    expect(out.state.job?.change?.summary).toEqual(['version: 26.1 → 26.1.1'])
  })

  it('refuses a release no runner reported, the installed one and an older one', () => {
    expect(reduce(ready(), update('26.1.1')).refused).toContain('no runner has reported 26.1.1')
    expect(reduce(ready('26.1'), update('26.1')).refused).toContain('already the newest')
    expect(reduce(ready('1.21.4'), update('1.21.4')).refused).toContain('world format')
  })

  it('keeps a pinned version pinned', () => {
    const pinned = { ...ready('26.1.1'), spec: { ...LATEST, gameConfig: { version: '26.1' } } }
    expect(
      reduce(pinned, { ...update('26.1.1'), spec: pinned.spec } as DeploymentInput).refused,
    ).toContain('a pinned version stays pinned')
    expect(updateRefusal(pinned.spec, '26.1', '26.1.1')).toContain('pinned')
  })

  it('tries a rolled-back update again as the same update', () => {
    const rb = rollbackJobId('u-1')
    const rolling = play(
      ready('26.1.1'),
      update('26.1.1'),
      leased('u-1'),
      frame({ type: 'step', step: CHANGE_STEPS[0], status: 'running', at: T0 }, 'u-1'),
      frame(
        { type: 'step', step: CHANGE_STEPS[0], status: 'done', at: T0 + 1, next: CHANGE_STEPS[1] },
        'u-1',
      ),
      frame({ type: 'job.done', outcome: 'failed', error: { message: 'verify: no' } }, 'u-1'),
    ).state
    expect(rolling.status).toBe('rolling_back')
    const back = play(
      rolling,
      leased(rb),
      frame({ type: 'job.done', outcome: 'succeeded', result: { version: '26.1' } }, rb),
    ).state
    expect(back.status).toBe('ready')
    expect(back.checkpoint.gameVersion).toBe('26.1')
    expect(back.failedChange?.updateTo).toBe('26.1.1')
    // The live status was reset when the deployment left ready; the retry does not need it.
    const again = play(back, { type: 'retry', jobId: 'u-2', at: T0 + 400 }).state
    expect(again.job).toMatchObject({ jobId: 'u-2', kind: 'change' })
    expect(again.job?.change?.summary).toEqual(['version: 26.1 → 26.1.1'])
  })
})
