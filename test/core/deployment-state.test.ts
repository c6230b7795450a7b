import { describe, expect, it } from 'vitest'
import {
  DeploymentStatus,
  EVENT_TYPES,
  transition,
  type DeploymentEvent,
} from '../../core/deployment-state'

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
  { type: 'retry_requested' },
  { type: 'destroy_requested' },
  { type: 'destroy_succeeded' },
]

const key = (e: DeploymentEvent) =>
  e.type === 'step_started'
    ? `step:${e.step}`
    : e.type === 'cancel_requested'
      ? `cancel:${e.leased ? 'leased' : 'queued'}`
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
    deploy_succeeded: 'ready',
    job_failed: 'failed',
    'cancel:leased': 'cancelling',
    'cancel:queued': 'cancelled',
  }
}
EXPECTED.ready = { destroy_requested: 'destroying' }
EXPECTED.failed = { retry_requested: 'queued', destroy_requested: 'destroying' }
EXPECTED.cancelling = {
  job_cancelled: 'cancelled',
  deploy_succeeded: 'ready',
  job_failed: 'failed',
}
EXPECTED.cancelled = { destroy_requested: 'destroying' }
EXPECTED.destroying = {
  'step:delete_vm': 'destroying',
  job_failed: 'failed',
  destroy_succeeded: 'destroyed',
}
EXPECTED.destroyed = {}

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
