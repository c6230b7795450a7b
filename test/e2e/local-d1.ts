import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

/**
 * The local D1 database behind a wrangler dev state folder, read and written with
 * `wrangler d1 execute --local`: for tests, the bench and the demo's seeding.
 */
const run = promisify(execFile)

/** A count on the local D1 database behind a wrangler dev state folder. */
export async function d1Count(root: string, persistTo: string, sql: string): Promise<number> {
  const [row] = await d1Rows<{ n: number }>(root, persistTo, sql)
  return row?.n ?? 0
}

/** Rows of a query on the local D1 database behind a wrangler dev state folder. */
export async function d1Rows<T>(root: string, persistTo: string, sql: string): Promise<T[]> {
  const { stdout } = await run(
    'npx',
    [
      'wrangler',
      'd1',
      'execute',
      'DB',
      '--local',
      '--persist-to',
      persistTo,
      '--json',
      '--command',
      sql,
    ],
    {
      cwd: root,
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' },
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    },
  )
  const parsed = JSON.parse(stdout) as { results: T[] }[]
  return parsed[0]?.results ?? []
}
