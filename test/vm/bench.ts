import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ApiClient } from '../e2e/stack'
import { waitFor } from '../e2e/stack'
import { VM_CACHE_DIR } from './qemu'

/**
 * The real-VM tier's measurements of issue 21 (`npm run bench:vm`): the cold path (base
 * template, whole playbook), the bake, and the baked path (game-ready template, base layer
 * skipped), measured in the same run on the same machine. The tier writes them to
 * .cache/vm/bench.json; scripts/bench-vm.mjs prints them as one JSON line.
 */

interface StepRow {
  name: string
  status: string
  startedAt: number | null
  endedAt: number | null
}

export interface Timed {
  /** From the POST to `ready` (or the bake's end), as the user waits. */
  api_to_ready_s: number
  /** Seconds per step, from the record's own step timeline. */
  steps: Record<string, number>
}

const round1 = (ms: number) => Math.round(ms / 100) / 10

/** Each step's duration from a record's step timeline. */
export function stepSplit(steps: StepRow[]): Record<string, number> {
  return Object.fromEntries(
    steps
      .filter((s) => s.startedAt !== null && s.endedAt !== null)
      .map((s) => [s.name, round1((s.endedAt ?? 0) - (s.startedAt ?? 0))]),
  )
}

/**
 * Polls a record until it ends (ready, failed or destroyed), tolerating a few failed polls in a
 * row (wrangler dev reloads when a source file changes). `onStep` hears each new running step.
 */
export async function waitEnded(
  api: ApiClient,
  id: string,
  timeoutMs: number,
  onStep: (step: string) => void,
  alive: () => void = () => {},
): Promise<{ status: string; steps: StepRow[] }> {
  let step = ''
  let failures = 0
  return waitFor(
    async () => {
      const d = await api
        .ok<{ deployment: { status: string; steps: StepRow[] } }>('GET', `/api/deployments/${id}`)
        .then(
          (r) => r.deployment,
          (err: unknown) => {
            if (++failures > 30) throw err
            return null
          },
        )
      if (!d) return false
      failures = 0
      alive()
      const running = d.steps.find((s) => s.status === 'running')?.name ?? ''
      if (running && running !== step) onStep((step = running))
      return ['ready', 'failed', 'destroyed'].includes(d.status) ? d : false
    },
    `deployment ${id} to end`,
    timeoutMs,
    2_000,
  )
}

/** What bench:vm prints, from the three measurements. */
export function benchLine(cold: Timed, bake: Timed, baked: Timed, tierWallS: number) {
  return {
    bench: 'vm',
    cold,
    bake,
    baked,
    // How many times faster the user's wait is on the baked path (target ≥ 3).
    ratio: Math.round((cold.api_to_ready_s / baked.api_to_ready_s) * 100) / 100,
    target_ratio: 3,
    tier_wall_s: tierWallS,
  }
}

export async function writeBench(line: object): Promise<void> {
  await writeFile(join(VM_CACHE_DIR, 'bench.json'), `${JSON.stringify(line)}\n`)
}
