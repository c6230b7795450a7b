import { parseFrame } from './codec'
import { PROTOCOL_VERSION } from './constants'
import { LogStream, StepName } from './domain'
import { RunnerToDeployment, type LogLine } from './runner-job'

/** The protocol's cap on one line's text (LogLine.text). */
const MAX_TEXT = 16_384
/** Lines per frame, at least one (the schema's `lines`). */
const MAX_LINES = 5_000
const STEPS: ReadonlySet<string> = new Set(StepName.options)
const STREAMS: ReadonlySet<string> = new Set(LogStream.options)

type Parsed = ReturnType<typeof parseFrame<typeof RunnerToDeployment>>

/**
 * A frame on a runner's job socket. `logs` frames (up to thousands of lines, many per second) are
 * checked by hand: the same rules as the `RunnerToDeployment` schema, at a fraction of the cost
 * of running zod over every line. Every other frame goes through the schema.
 */
export function parseRunnerFrame(data: unknown): Parsed {
  if (typeof data !== 'string') return { ok: false, error: 'binary frames are not accepted' }
  // Anything but a logs frame, or one that looks wrong, gets the schema's verdict and message.
  if (!data.includes('"logs"')) return parseFrame(RunnerToDeployment, data)
  let json: unknown
  try {
    json = JSON.parse(data)
  } catch {
    return { ok: false, error: 'frame is not valid JSON' }
  }
  const frame = logsFrame(json)
  return frame ? { ok: true, frame } : parseFrame(RunnerToDeployment, data)
}

/** The frame as the schema would return it (unknown keys dropped), or null if any rule fails. */
function logsFrame(json: unknown): Extract<RunnerToDeployment, { type: 'logs' }> | null {
  if (typeof json !== 'object' || json === null) return null
  const f = json as Record<string, unknown>
  if (
    f.type !== 'logs' ||
    f.v !== PROTOCOL_VERSION ||
    typeof f.jobId !== 'string' ||
    !Array.isArray(f.lines)
  )
    return null
  const input = f.lines as unknown[]
  if (input.length < 1 || input.length > MAX_LINES) return null
  const lines: LogLine[] = new Array<LogLine>(input.length)
  for (let i = 0; i < input.length; i++) {
    const l = input[i] as Record<string, unknown> | null
    if (typeof l !== 'object' || l === null) return null
    const { seq, ts, step, stream, text } = l
    if (
      typeof seq !== 'number' ||
      !Number.isSafeInteger(seq) ||
      seq <= 0 ||
      typeof ts !== 'number' ||
      !Number.isFinite(ts) ||
      typeof stream !== 'string' ||
      !STREAMS.has(stream) ||
      typeof text !== 'string' ||
      text.length > MAX_TEXT
    )
      return null
    if (step === undefined) {
      lines[i] = { seq, ts, stream: stream as LogLine['stream'], text }
    } else {
      if (typeof step !== 'string' || !STEPS.has(step)) return null
      lines[i] = { seq, ts, step: step as StepName, stream: stream as LogLine['stream'], text }
    }
  }
  return { v: PROTOCOL_VERSION, type: 'logs', jobId: f.jobId, lines }
}
