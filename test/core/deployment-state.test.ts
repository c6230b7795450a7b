import { describe, expect, it } from 'vitest'
import {
  DeploymentStatus,
  EVENT_TYPES,
  transition,
  type DeploymentEvent,
} from '../../core/deployment/status'

/** One representative event of each type (step events: a VM step, SSH, provision, verify, destroy). */
const EVENTS: DeploymentEvent[] = [
  { type: 'step_started', step: 'clone' },
  { type: 'step_started', step: 'wait_ssh' },
  { type: 'step_started', step: 'provision' },
  { type: 'step_started', step: 'verify' },
  { type: 'step_started', step: 'delete_vm' },
  { type: 'deploy_succeeded' },
  { type: 'job_failed' },
  { type: 'cancel_requested', leased: true },
  { type: 'cancel_requested', leased: false },
  { type: 'job_cancelled' },
  { type: 'retry_requested', kind: 'deploy' },
  { type: 'retry_requested', kind: 'destroy' },
  { type: 'retry_requested', kind: 'stop' },
  { type: 'retry_requested', kind: 'restart' },
  { type: 'destroy_requested' },
  { type: 'destroy_succeeded' },
  { type: 'power_requested', action: 'start' },
  { type: 'power_requested', action: 'stop' },
  { type: 'power_requested', action: 'restart' },
  { type: 'power_succeeded' },
  { type: 'step_started', step: 'vzdump' },
  { type: 'backup_requested' },
  { type: 'backup_finished', to: 'ready' },
  { type: 'restore_requested' },
  { type: 'restore_succeeded' },
  { type: 'retry_requested', kind: 'restore' },
  { type: 'step_started', step: 'snapshot' },
  { type: 'change_requested' },
  { type: 'change_finished' },
  { type: 'rollback_started' },
  { type: 'rollback_succeeded' },
  { type: 'retry_requested', kind: 'rollback' },
]

const key = (e: DeploymentEvent) =>
  e.type === 'step_started'
    ? `step:${e.step}`
    : e.type === 'cancel_requested'
      ? `cancel:${e.leased ? 'leased' : 'queued'}`
      : e.type === 'power_requested'
        ? `power:${e.action}`
        : e.type === 'retry_requested'
          ? `retry:${e.kind}`
          : e.type

const RUNNING = [
  'queued',
  'provisioning_vm',
  'waiting_ssh',
  'provisioning_game',
  'verifying',
] as const

/** The expected table, written out by hand: every (status, event) not listed is refused. */
const EXPECTED: Record<string, Record<string, string>> = {}
for (const s of RUNNING) {
  EXPECTED[s] = {
    'step:clone': 'provisioning_vm',
    'step:wait_ssh': 'waiting_ssh',
    'step:provision': 'provisioning_game',
    'step:verify': 'verifying',
    // A destroy step inside a deploy job changes nothing visible.
    'step:delete_vm': s,
    'step:vzdump': s,
    'step:snapshot': s,
    deploy_succeeded: 'ready',
    job_failed: 'failed',
    'cancel:leased': 'cancelling',
    'cancel:queued': 'cancelled',
  }
}
EXPECTED.ready = {
  change_requested: 'changing',
  backup_requested: 'backing_up',
  restore_requested: 'restoring',
  destroy_requested: 'destroying',
  'power:stop': 'stopping',
  'power:restart': 'restarting',
}
EXPECTED.stopped = {
  backup_requested: 'backing_up',
  restore_requested: 'restoring',
  destroy_requested: 'destroying',
  'power:start': 'starting',
}
for (const s of ['stopping', 'starting', 'restarting'] as const) {
  EXPECTED[s] = {
    // A power job's steps keep its status.
    'step:clone': s,
    'step:wait_ssh': s,
    'step:provision': s,
    'step:verify': s,
    'step:delete_vm': s,
    'step:vzdump': s,
    'step:snapshot': s,
    job_failed: 'failed',
    power_succeeded: s === 'stopping' ? 'stopped' : 'ready',
  }
}
EXPECTED.failed = {
  'retry:deploy': 'queued',
  'retry:destroy': 'destroying',
  'retry:stop': 'stopping',
  'retry:restart': 'restarting',
  'retry:restore': 'restoring',
  'retry:rollback': 'rolling_back',
  restore_requested: 'restoring',
  destroy_requested: 'destroying',
}
EXPECTED.cancelling = {
  job_cancelled: 'cancelled',
  deploy_succeeded: 'ready',
  job_failed: 'failed',
}
EXPECTED.cancelled = { destroy_requested: 'destroying' }
EXPECTED.destroying = {
  'step:delete_vm': 'destroying',
  'step:vzdump': 'destroying',
  'step:snapshot': 'destroying',
  job_failed: 'failed',
  destroy_succeeded: 'destroyed',
}
EXPECTED.destroyed = {}
// A backup keeps its status through its steps and ends where it started.
EXPECTED.backing_up = {
  'step:delete_vm': 'backing_up',
  'step:vzdump': 'backing_up',
  'step:snapshot': 'backing_up',
  backup_finished: 'ready',
}
// A restore keeps its status through every step, the VM's own included.
EXPECTED.restoring = {
  'step:clone': 'restoring',
  'step:wait_ssh': 'restoring',
  'step:provision': 'restoring',
  'step:verify': 'restoring',
  'step:delete_vm': 'restoring',
  'step:vzdump': 'restoring',
  'step:snapshot': 'restoring',
  job_failed: 'failed',
  restore_succeeded: 'ready',
}
// A change and its rollback keep their status through every step. A failed change is rolled
// back (never `failed`); only a failed rollback leaves the deployment failed.
const ALL_STEPS = ['clone', 'wait_ssh', 'provision', 'verify', 'delete_vm', 'vzdump', 'snapshot']
EXPECTED.changing = {
  ...Object.fromEntries(ALL_STEPS.map((s) => [`step:${s}`, 'changing'])),
  change_finished: 'ready',
  rollback_started: 'rolling_back',
}
EXPECTED.rolling_back = {
  ...Object.fromEntries(ALL_STEPS.map((s) => [`step:${s}`, 'rolling_back'])),
  rollback_succeeded: 'ready',
  job_failed: 'failed',
}

describe('the deployment state machine', () => {
  it('covers every event type in the tests', () => {
    expect(new Set(EVENTS.map((e) => e.type))).toEqual(new Set(EVENT_TYPES))
  })

  for (const status of DeploymentStatus.options) {
    for (const event of EVENTS) {
      const expected = EXPECTED[status]?.[key(event)]
      it(`${expected ? `moves ${status} to ${expected}` : `refuses`} on ${key(event)}${expected ? '' : ` while ${status}`}`, () => {
        const t = transition(status, event)
        if (expected) {
          expect(t).toEqual({ ok: true, from: status, to: expected })
        } else {
          expect(t.ok).toBe(false)
          if (!t.ok) expect(t.reason).toContain(status)
        }
      })
    }
  }

  it('never leaves destroyed', () => {
    for (const event of EVENTS) expect(transition('destroyed', event).ok).toBe(false)
  })
})

describe('refusals say what was asked and why', () => {
  it('names the action and the status', () => {
    const t = transition('destroying', { type: 'power_requested', action: 'start' })
    expect(t).toEqual({
      ok: false,
      from: 'destroying',
      reason: 'starting is not allowed while destroying',
    })
    const stop = transition('stopped', { type: 'power_requested', action: 'stop' })
    expect(stop.ok || stop.reason).toBe('stopping is not allowed while stopped')
  })
})
