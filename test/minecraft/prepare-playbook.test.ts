import { describe, expect, it } from 'vitest'
import { GAMES } from '../../core/games'
import type { GameModule } from '../../core/games'
import { MinecraftVersionResolver } from '../../runner/src/games/minecraft-version'
import { preparePlaybook } from '../../runner/src/games/prepare'
import { recordedRoutes, stubFetch } from './fixture-fetch'

const game: GameModule = GAMES.minecraft

function input(config: unknown, secrets: Record<string, string> = {}) {
  const resolver = new MinecraftVersionResolver({
    userAgent: 'tests/0',
    fetch: stubFetch(recordedRoutes()).fetch,
  })
  return {
    game,
    config,
    ansibleDir: '/opt/pgd-runner/ansible',
    runnerAddress: '192.168.1.5',
    secrets,
    resolvers: { minecraft: resolver },
  }
}

describe('preparing a game’s playbook run', () => {
  it('resolves the version and hands the jar, checksum and Java to the playbook', async () => {
    const prepared = await preparePlaybook(input({ eula: true, version: '1.20.4' }))
    expect({
      playbook: prepared.playbook,
      checksum: prepared.extraVars.minecraft_server_jar_checksum,
      java: prepared.extraVars.minecraft_java_major,
    }).toEqual({
      playbook: '/opt/pgd-runner/ansible/provision_minecraft.yml',
      checksum: 'sha1:8dd1a28015f51b1803213892b50b7b4fc76e594d',
      java: 17,
    })
  })

  it('refuses a stored config that no longer validates, naming the field', async () => {
    await expect(preparePlaybook(input({ eula: false }))).rejects.toThrow(
      'invalid Minecraft: Java Edition config: eula: you must accept the Minecraft EULA',
    )
  })

  it('refuses to go on without the secrets the config needs', async () => {
    await expect(preparePlaybook(input({ eula: true, rconEnabled: true }))).rejects.toThrow(
      'missing generated secrets: rconPassword',
    )
  })

  it('lists the secrets so the executor can redact them', async () => {
    const prepared = await preparePlaybook(
      input({ eula: true, rconEnabled: true }, { rconPassword: 's3cret-value-123' }),
    )
    expect(prepared.secretValues).toEqual(['s3cret-value-123'])
  })

  it('passes the resolver’s message on for an unknown version', async () => {
    await expect(preparePlaybook(input({ eula: true, version: '1.99.9' }))).rejects.toThrow(
      'Minecraft 1.99.9 is not a version Mojang publishes',
    )
  })
})
