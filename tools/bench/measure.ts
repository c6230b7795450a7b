import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** p-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] ?? Number.NaN
}

export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits

/** Resident memory of a process, MiB, from /proc. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN)
  return kb / 1024
}

/**
 * The dashboard's initial JS (the scripts index.html loads and the larger language's words),
 * gzip KB, as the build's size report counts it.
 */
export function webJsGzipKb(root: string): number {
  const out = execFileSync(process.execPath, ['scripts/report-web-size.mjs', '--json'], {
    cwd: root,
    encoding: 'utf8',
  })
  return (JSON.parse(out) as { initialJsGzipKb: number }).initialJsGzipKb
}
