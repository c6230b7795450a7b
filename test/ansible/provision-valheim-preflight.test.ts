import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ValheimConfig, valheim } from '../../core/games/valheim'
import { runPlaybook } from '../../runner/src/ansible/run-playbook'
import { ROLES } from './fixtures'

/**
 * provision_valheim.yml's preflight, run for real against this machine (Debian 12 on x86_64, a
 * supported platform) with ansible_connection=local: each refusal stops the play before anything
 * changes, names the check and says what to do, and never prints the password.
 */

const PLAYBOOK = new URL('../../ansible/provision_valheim.yml', import.meta.url).pathname
const PASSWORD = 'preflight-secret-9'

/** A playbook running the role's preflight alone: nothing after it may touch this machine. */
function preflightOnly(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'pgd-valheim-preflight-')), 'preflight.yml')
  writeFileSync(
    path,
    [
      '- name: Run the Valheim preflight only',
      '  hosts: all',
      '  gather_facts: true',
      '  tasks:',
      '    - name: Check the preconditions',
      '      ansible.builtin.include_role:',
      '        name: valheim',
      '        tasks_from: preflight',
      '',
    ].join('\n'),
  )
  return path
}

async function provision(overrides: Record<string, unknown>, playbook = PLAYBOOK) {
  const vars = valheim.toAnsibleVars(ValheimConfig.parse({ password: PASSWORD }), {
    runnerAddress: null,
    artifact: null,
    secrets: {},
  })
  const lines: string[] = []
  const result = await runPlaybook({
    playbook,
    target: { address: '127.0.0.1', user: 'root', connection: 'local' },
    // No cloud-init here, and no sudo: this test already runs as root.
    extraVars: {
      ...vars,
      valheim_wait_for_cloud_init: false,
      ansible_become: false,
      ...overrides,
    },
    log: (line) => lines.push(line),
    env: { ANSIBLE_ROLES_PATH: ROLES },
  })
  return { ...result, output: lines.join('\n') }
}

describe('provision_valheim.yml preflight', () => {
  it('accepts what the module passes for a valid config on a supported machine', async () => {
    const result = await provision({}, preflightOnly())
    expect([result.ok, result.recap?.changed]).toEqual([true, 0])
    expect(result.output).not.toContain(PASSWORD)
  })

  it('refuses a distribution it does not support, listing the supported ones', async () => {
    const result = await provision({ valheim_platform: 'Fedora-41' })
    expect([result.failure?.task, result.recap?.changed]).toEqual([
      'valheim : Check that the distribution is supported',
      0,
    ])
    expect(result.error).toContain(
      'Fedora-41 is not supported; supported: Debian-12, Debian-13, Ubuntu-22.04, Ubuntu-24.04.',
    )
  })

  it('refuses a machine that is not 64-bit x86', async () => {
    const result = await provision({ valheim_supported_architectures: ['aarch64'] })
    expect(result.error).toContain('The Valheim server is built for x86_64 only')
  })

  it('refuses a VM with too little memory, saying how much Valheim needs', async () => {
    const result = await provision({ valheim_min_memtotal_mb: 10_000_000 })
    expect([result.failure?.task, result.recap?.changed]).toEqual([
      'valheim : Check that the VM has enough memory',
      0,
    ])
    expect(result.error).toContain('Valheim needs 4096 MiB at least')
  })

  it('refuses a password containing the server name without printing it', async () => {
    const result = await provision({
      valheim_server_name: 'Secret',
      valheim_password: 'my-secret-hall',
    })
    expect(result.failure?.task).toBe(
      'valheim : Check that the server password is one Valheim accepts',
    )
    expect(result.error).toContain('neither contain nor be part of the server name')
    expect(result.output).not.toContain('my-secret-hall')
  })

  it('refuses a modifier value that would split into several arguments', async () => {
    const result = await provision({ valheim_modifiers: { raids: 'none -password x' } })
    expect(result.failure?.task).toBe('valheim : Check the names, the port and the world settings')
  })
})
