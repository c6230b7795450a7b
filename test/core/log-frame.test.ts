import { describe, expect, it } from 'vitest'
import { parseRunnerFrame } from '../../core/protocol'
import { parseFrame, RunnerToDeployment } from '../../core/protocol'

const line = { seq: 1, ts: 1_700_000_000_000, stream: 'stdout', text: 'hello', step: 'clone' }
const frame = (lines: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ v: 1, type: 'logs', jobId: 'job-1', lines, ...extra })

describe('parseRunnerFrame (logs frames checked by hand)', () => {
  // Every case: the hand check must agree with the schema, frame for frame.
  const cases: [string, unknown][] = [
    ['a good batch', frame([line, { ...line, seq: 2, step: undefined }])],
    ['unknown keys (dropped)', frame([{ ...line, extra: 1 }], { more: true })],
    ['no lines', frame([])],
    ['too many lines', frame(Array.from({ length: 5_001 }, (_, i) => ({ ...line, seq: i + 1 })))],
    ['lines not an array', frame('nope')],
    ['a null line', frame([null])],
    ['seq 0', frame([{ ...line, seq: 0 }])],
    ['seq fractional', frame([{ ...line, seq: 1.5 }])],
    ['seq a string', frame([{ ...line, seq: '1' }])],
    ['seq unsafe', frame([{ ...line, seq: 2 ** 60 }])],
    ['ts missing', frame([{ ...line, ts: undefined }])],
    ['ts a string', frame([{ ...line, ts: 'now' }])],
    ['unknown stream', frame([{ ...line, stream: 'stdlog' }])],
    ['unknown step', frame([{ ...line, step: 'dance' }])],
    ['step null', frame([{ ...line, step: null }])],
    ['text too long', frame([{ ...line, text: 'x'.repeat(16_385) }])],
    ['text at the cap', frame([{ ...line, text: 'x'.repeat(16_384) }])],
    ['text a number', frame([{ ...line, text: 5 }])],
    ['wrong version', frame([line], { v: 2 })],
    ['jobId missing', frame([line], { jobId: undefined })],
    [
      '"logs" only in a text',
      JSON.stringify({ v: 1, type: 'job.hello', jobId: '"logs"', attempt: 1 }),
    ],
    [
      'a step frame',
      JSON.stringify({ v: 1, type: 'step', jobId: 'j', step: 'clone', status: 'running', at: 1 }),
    ],
    ['not JSON', '{"type":"logs",'],
    ['binary', new ArrayBuffer(4)],
    ['an array', '["logs"]'],
  ]
  for (const [name, data] of cases) {
    it(`agrees with the schema: ${name}`, () => {
      expect(parseRunnerFrame(data)).toEqual(parseFrame(RunnerToDeployment, data))
    })
  }
})
