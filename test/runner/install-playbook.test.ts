import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

/**
 * ansible/install_runner.yml's preflight refusals, run against this machine over the local
 * connection: each one stops the play before any task changes anything.
 */
const PLAYBOOK = 'ansible/install_runner.yml'
const hasAnsible = existsSync('/usr/bin/ansible-playbook')

function play(...extra: string[]) {
  const res = spawnSync(
    '/usr/bin/ansible-playbook',
    ['-i', 'localhost,', '-c', 'local', '-e', 'ansible_become=false', PLAYBOOK, ...extra],
    { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ANSIBLE_NOCOLOR: '1' } },
  )
  return { status: res.status, out: `${res.stdout}${res.stderr}` }
}

describe.skipIf(!hasAnsible)('install_runner.yml', () => {
  it('passes ansible-playbook --syntax-check', () => {
    const res = spawnSync(
      '/usr/bin/ansible-playbook',
      ['--syntax-check', '-i', 'localhost,', PLAYBOOK],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    )
    expect(res.status, res.stderr).toBe(0)
  })

  it('refuses to run without the dashboard URL', () => {
    const { status, out } = play()
    expect(status).not.toBe(0)
    expect(out).toMatch(/Set the dashboard URL, e.g. -e pgd_server=/)
  })

  it('refuses to run before the bundle is built', () => {
    const { status, out } = play(
      '-e',
      'pgd_server=https://games.example.com',
      '-e',
      'pgd_runner_bundle=/nonexistent/pgd-runner.mjs',
    )
    expect(status).not.toBe(0)
    expect(out).toMatch(/run 'npm run build:runner' first/)
  })
})
