import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useRunnerFixture } from './fixture'
import { exitOf, runnerNodeFlags, startRunner } from './harness'

const fixture = useRunnerFixture()
const dir = () => fixture.dir()
const server = () => fixture.server()

describe('runner CLI', () => {
  it('explains both commands and every variable with --help', async () => {
    const proc = await startRunner(['--help'], { PATH: process.env.PATH ?? '' })
    expect(await exitOf(proc, 'help exits')).toBe(0)
    expect(proc.stdout()).toMatch(/register --server URL --code CODE/)
    expect(proc.stdout()).toMatch(/RUNNER_MAX_JOBS/)
  })

  it('runs under the node flags of the shipped systemd unit, as tests and the bench do', async () => {
    const unit = readFileSync(
      new URL('../../runner/systemd/pgd-runner.service', import.meta.url),
      'utf8',
    )
    expect(unit).toMatch(
      /^ExecStart=\/usr\/bin\/node --max-semi-space-size=1 --max-opt=1 \/opt\/pgd-runner\/pgd-runner\.mjs run$/m,
    )
    const { runner } = await fixture.start()
    const cmdline = readFileSync(`/proc/${runner.child.pid}/cmdline`, 'utf8').split('\0')
    expect(runnerNodeFlags()).toEqual(['--max-semi-space-size=1', '--max-opt=1'])
    expect(cmdline.slice(1, 3)).toEqual(['--max-semi-space-size=1', '--max-opt=1'])
  })

  it('names the variable and exits 78 on a bad setting', async () => {
    const d = dir()
    const proc = await startRunner(['run'], { HOME: d, RUNNER_MAX_JOBS: 'lots' })
    expect(await exitOf(proc, 'config error exits')).toBe(78)
    expect(proc.stderr()).toMatch(/RUNNER_MAX_JOBS \(--max-jobs\)/)
  })

  it('tells to register first when run has no key', async () => {
    const d = dir()
    const proc = await startRunner(['run'], { HOME: d, RUNNER_STATE_DIR: d })
    expect(await exitOf(proc, 'run exits')).toBe(78)
    expect(proc.stdout()).toMatch(/no runner key at .*runner\.json: run "pgd-runner register/)
  })

  it('register saves the key and the server URL in a 0600 file', async () => {
    const s = await server()
    s.registrations.set('ABCD-1234', { runnerId: 'r-42', key: 'long-lived-key-0123456789' })
    const d = dir()
    const proc = await startRunner(
      ['register', '--server', s.url, '--code', 'ABCD-1234', '--name', 'lab'],
      {
        HOME: d,
        RUNNER_STATE_DIR: d,
      },
    )
    expect(await exitOf(proc, 'register exits')).toBe(0)
    const file = join(d, 'runner.json')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      server: s.url,
      runnerId: 'r-42',
      key: 'long-lived-key-0123456789',
    })
    expect(proc.stdout()).not.toContain('long-lived-key')
  })

  it('register shows the server message when the code is refused', async () => {
    const s = await server()
    const d = dir()
    const proc = await startRunner(['register', '--server', s.url, '--code', 'WRONG'], {
      HOME: d,
      RUNNER_STATE_DIR: d,
    })
    expect(await exitOf(proc, 'register exits')).toBe(1)
    expect(proc.stderr()).toMatch(
      /registration refused: This registration code is unknown or expired\./,
    )
    expect(existsSync(join(d, 'runner.json'))).toBe(false)
  })
})
