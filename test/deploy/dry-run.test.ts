import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)

describe('going to production', () => {
  let outdir = ''
  afterAll(async () => {
    if (outdir) await rm(outdir, { recursive: true, force: true })
  })

  it('builds the deployable worker bundle with `wrangler deploy --dry-run`', async () => {
    outdir = await mkdtemp(join(tmpdir(), 'pgd-dry-run-'))
    const { stdout, stderr } = await run(
      'npx',
      ['wrangler', 'deploy', '--dry-run', '--outdir', outdir],
      {
        env: {
          ...process.env,
          CLOUDFLARE_CF_FETCH_ENABLED: 'false',
          WRANGLER_SEND_METRICS: 'false',
        },
        timeout: 120_000,
      },
    )
    const output = stdout + stderr
    expect(output).toContain('--dry-run: exiting now.')
    expect(output).toContain('env.DB')
    const bundle = await readFile(join(outdir, 'index.js'), 'utf8')
    // The bundle carries the API: its routes' error messages are in it.
    expect(bundle).toContain('Setup is already done')
    expect((await stat(join(outdir, 'index.js'))).size).toBeLessThan(3 * 1024 * 1024)
  })
})
