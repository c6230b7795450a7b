import type { FrameBody, RunnerToDeployment, StepError } from '../../../core/protocol'
import type { Redactor } from '../redact'

/** A frame this runner sends on a job socket (the encoder adds the version). */
export type JobFrame = FrameBody<RunnerToDeployment>
export type StepFrame = Extract<JobFrame, { type: 'step' }>
export type DoneFrame = Extract<JobFrame, { type: 'job.done' }>

const MAX_MESSAGE_CHARS = 4_096
const MAX_DETAIL_CHARS = 16_384

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/**
 * A thrown value as the protocol's StepError, redacted and clipped to the schema's limits.
 * Executors set `detail` (Proxmox's text, Ansible's failing task) on their errors.
 */
export function toStepError(err: unknown, redactor: Redactor): StepError {
  const message = err instanceof Error ? err.message : String(err)
  const detail =
    err instanceof Error && 'detail' in err && typeof err.detail === 'string'
      ? err.detail
      : undefined
  return {
    message: clip(redactor.redact(message || 'step failed'), MAX_MESSAGE_CHARS),
    ...(detail ? { detail: clip(redactor.redact(detail), MAX_DETAIL_CHARS) } : {}),
  }
}

/** Redacts every string in a step's result (the verify step's view of the game). */
export function redactResult(
  result: Record<string, unknown>,
  redactor: Redactor,
): Record<string, unknown> {
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return redactor.redact(value)
    if (Array.isArray(value)) return value.map(walk)
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, walk(x)]))
    }
    return value
  }
  return Object.fromEntries(Object.entries(result).map(([k, x]) => [k, walk(x)]))
}

export const frames = {
  hello: (jobId: string, attempt: number): JobFrame => ({
    type: 'job.hello',
    jobId,
    attempt,
  }),
  step: (
    jobId: string,
    step: StepFrame['step'],
    status: StepFrame['status'],
    extra: Pick<StepFrame, 'checkpoint' | 'error'> = {},
  ): StepFrame => ({ type: 'step', jobId, step, status, at: Date.now(), ...extra }),
  done: (
    jobId: string,
    outcome: DoneFrame['outcome'],
    extra: Pick<DoneFrame, 'result' | 'error'> = {},
  ): DoneFrame => ({
    type: 'job.done',
    jobId,
    outcome,
    ...extra,
  }),
}
