import * as z from 'zod'
import { StepName } from '../../../core/protocol'

const flag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no'])
  .transform((s) => s === '1' || s === 'true' || s === 'yes')

/** `clone=2000,provision=500` → { clone: 2000, provision: 500 }. */
const StepDelays = z.string().transform((s, ctx) => {
  const out: Partial<Record<StepName, number>> = {}
  for (const part of s.split(',').filter(Boolean)) {
    const [name = '', ms = ''] = part.split('=')
    const step = StepName.safeParse(name.trim())
    const delay = Number(ms)
    if (!step.success || !Number.isInteger(delay) || delay < 0) {
      ctx.addIssue({ code: 'custom', message: `"${part}" is not step=milliseconds` })
      return z.NEVER
    }
    out[step.data] = delay
  }
  return out
})

/** Options of the fake executors (`RUNNER_EXECUTOR=fake`), from `RUNNER_FAKE_*`. */
export const FakeOptions = z.object({
  stepDelayMs: z.coerce.number().int().min(0).max(3_600_000).default(20),
  stepDelays: StepDelays.default({}),
  linesPerStep: z.coerce.number().int().min(0).max(1_000_000).default(3),
  failStep: StepName.optional(),
  failMessage: z.string().default('fake failure'),
  /** Persisted "Proxmox": which VMs exist, and how many were ever created. */
  vmStateFile: z.string().min(1, 'is required (or set RUNNER_STATE_DIR)'),
  /** Extra lines emitted as fast as possible, for benchmarks. */
  burstLines: z.coerce.number().int().min(0).max(10_000_000).default(0),
  burstStep: StepName.default('provision'),
  /** Lines per second for the burst; 0 = as fast as possible. */
  burstRate: z.coerce.number().int().min(0).max(10_000_000).default(0),
  /** Log the job's secrets in typical forms, to test redaction. */
  leakSecrets: flag.default(false),
})
export type FakeOptions = z.infer<typeof FakeOptions>
