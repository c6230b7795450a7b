import { describe, expect, it } from 'vitest'
import { MinecraftConfig, minecraft } from '../../core/games/minecraft'
import { runPlaybook } from '../../runner/src/ansible/run-playbook'
import { ARTIFACT } from './fixtures'

/**
 * provision_minecraft.yml's preflight, run for real against this machine (Debian 12, a supported
 * platform) with ansible_connection=local: each refusal stops the play before anything changes,
 * naming the check and saying what to do.
 */

const PLAYBOOK = new URL('../../ansible/provision_minecraft.yml', import.meta.url).pathname

async function provision(overrides: Record<string, unknown>) {
  const vars = minecraft.toAnsibleVars(MinecraftConfig.parse({ eula: true }), {
    runnerAddress: null,
    artifact: ARTIFACT,
    secrets: {},
  })
  return runPlaybook({
    playbook: PLAYBOOK,
    target: { address: '127.0.0.1', user: 'root', connection: 'local' },
    // No cloud-init here, and no sudo: this test already runs as root.
    extraVars: {
      ...vars,
      minecraft_wait_for_cloud_init: false,
      ansible_become: false,
      ...overrides,
    },
    log: () => undefined,
  })
}

describe('provision_minecraft.yml preflight', () => {
  it('refuses to provision when the EULA was not accepted', async () => {
    const result = await provision({ minecraft_eula_accept: false })
    expect([result.failure?.task, result.recap?.changed]).toEqual([
      'minecraft : Check that the Minecraft EULA was accepted',
      0,
    ])
  })

  it('refuses a version that needs Java 8 and says which versions work', async () => {
    const result = await provision({ minecraft_version: '1.16.5', minecraft_java_major: 8 })
    expect(result.error).toContain('needs Java 8, which is not supported')
  })

  it('refuses a heap that does not fit in the machine’s memory', async () => {
    const result = await provision({ minecraft_heap_mb: 10_000_000 })
    expect(result.failure?.task).toBe(
      'minecraft : Check that the VM has enough memory for the requested heap',
    )
  })

  it('refuses a checksum that is neither SHA-1 nor SHA-256', async () => {
    const result = await provision({ minecraft_server_jar_checksum: 'md5:abc' })
    expect(result.failure?.task).toBe(
      'minecraft : Check that the jar, its checksum and the version are given',
    )
  })
})
