import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'

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

/** The dashboard's initial JS (the scripts index.html loads), gzip KB. */
export function webJsGzipKb(root: string): number {
  const html = readFileSync(`${root}/web/dist/index.html`, 'utf8')
  let total = 0
  for (const m of html.matchAll(/<(?:script|link)[^>]+(?:src|href)="\/(assets\/[^"]+\.js)"/g)) {
    total += gzipSync(readFileSync(`${root}/web/dist/${m[1]}`)).length
  }
  return total / 1024
}
