import { describe, expect, it } from 'vitest'
import { GAMES, GameId, getGame } from '../../core/games'
import { MinecraftConfig, heapMbFor, minecraft, minimumJavaFor } from '../../core/games/minecraft'
import type { MinecraftServerArtifact } from '../../core/games/minecraft'
import type { AnsibleContext } from '../../core/games/types'

const ARTIFACT: MinecraftServerArtifact = {
  edition: 'vanilla',
  version: '1.21.5',
  url: 'https://piston-data.mojang.com/v1/objects/e6ec2f64e6080b9b5d9b471b291c33cc7f509733/server.jar',
  checksum: { algorithm: 'sha1', hex: 'e6ec2f64e6080b9b5d9b471b291c33cc7f509733' },
  javaMajor: 21,
}
const CONTEXT: AnsibleContext = { runnerAddress: '192.168.1.5', artifact: ARTIFACT, secrets: {} }

function firstIssue(input: unknown): { path: string; message: string } | null {
  const parsed = MinecraftConfig.safeParse(input)
  if (parsed.success) return null
  const issue = parsed.error.issues[0]!
  return { path: issue.path.join('.'), message: issue.message }
}

describe('Minecraft config schema', () => {
  it('fills every default once the EULA is accepted', () => {
    expect(MinecraftConfig.parse({ eula: true })).toEqual({ ...minecraft.defaults, eula: true })
  })

  it('refuses a deployment whose EULA is not accepted', () => {
    expect(firstIssue({ ...minecraft.defaults, eula: false })).toEqual({
      path: 'eula',
      message: 'you must accept the Minecraft EULA (https://aka.ms/MinecraftEULA) to deploy',
    })
  })

  it('refuses versions that need Java 8, naming the oldest supported one', () => {
    expect(firstIssue({ eula: true, version: '1.16.5' })?.message).toBe(
      'Minecraft 1.16.5 and older need Java 8, which is not supported: pick 1.17 or newer',
    )
  })

  it('accepts year-based versions such as 26.1', () => {
    expect(firstIssue({ eula: true, version: '26.1' })).toBeNull()
  })

  it('refuses a MOTD spanning two lines, which would break server.properties', () => {
    expect(firstIssue({ eula: true, motd: 'one\ntwo' })?.path).toBe('motd')
  })

  it('refuses a MOTD or a seed holding a template marker, saying which', () => {
    for (const [key, value] of [
      ['motd', 'Welcome {{ player }}'],
      ['motd', "{% include '/etc/passwd' %}"],
      ['levelSeed', '{# seed #}'],
    ]) {
      expect(firstIssue({ eula: true, [key as string]: value })).toEqual({
        path: key,
        message: 'must not contain "{{", "{%" or "{#"',
      })
    }
    expect(firstIssue({ eula: true, motd: 'A {cosy} server }}', levelSeed: '{-1}' })).toBeNull()
  })

  it('refuses RCON on the game port', () => {
    expect(firstIssue({ eula: true, rconEnabled: true, rconPort: 25_565 })?.path).toBe('rconPort')
  })

  it('tells the admin, in both languages, that 1.16.5 and older are refused', () => {
    // The version help states the rule the schema enforces (test/core/game-texts.test.ts checks
    // that every field is worded at all).
    expect([
      minecraft.texts.en.fields.version?.help,
      minecraft.texts.fr.fields.version?.help,
    ]).toEqual([expect.stringContaining('1.17'), expect.stringContaining('1.17')])
  })

  it('lists only real fields as advanced', () => {
    const keys = Object.keys(MinecraftConfig.shape)
    expect(minecraft.advancedFields.filter((f) => !keys.includes(f))).toEqual([])
  })
})

describe('Minecraft Java and memory rules', () => {
  it('maps versions to the Java they need', () => {
    const versions = ['1.16.5', '1.17.1', '1.18', '1.20.4', '1.20.5', '1.21.11', '26.1']
    expect(versions.map(minimumJavaFor)).toEqual([8, 16, 17, 17, 21, 21, 25])
  })

  it('leaves the OS between 768 and 1536 MiB beside the heap', () => {
    expect([2048, 4096, 8192, 16_384].map(heapMbFor)).toEqual([1280, 3072, 6656, 14_848])
  })
})

describe('Minecraft playbook variables', () => {
  it('passes the resolved jar, its checksum, Java and the heap to the playbook', () => {
    const vars = minecraft.toAnsibleVars(
      MinecraftConfig.parse({ eula: true, memoryMb: 8192 }),
      CONTEXT,
    )
    expect(vars).toMatchObject({
      minecraft_eula_accept: true,
      minecraft_version: '1.21.5',
      minecraft_java_major: 21,
      minecraft_server_jar_url: ARTIFACT.url,
      minecraft_server_jar_checksum: 'sha1:e6ec2f64e6080b9b5d9b471b291c33cc7f509733',
      minecraft_heap_mb: 6656,
      minecraft_rcon_enabled: false,
      minecraft_rcon_allowed_from: [],
    })
  })

  it('writes server.properties values as the server does, booleans lowercase', () => {
    const config = MinecraftConfig.parse({
      eula: true,
      pvp: false,
      levelSeed: '-42',
      motd: 'Hi: you',
    })
    expect(minecraft.toAnsibleVars(config, CONTEXT).minecraft_properties).toMatchObject({
      motd: 'Hi: you',
      pvp: 'false',
      'level-seed': '-42',
      'server-port': '25565',
      'enable-rcon': 'false',
    })
  })

  it('installs Java 17 for a version that asks for 16', () => {
    const context = { ...CONTEXT, artifact: { ...ARTIFACT, version: '1.17.1', javaMajor: 16 } }
    const vars = minecraft.toAnsibleVars(MinecraftConfig.parse({ eula: true }), context)
    expect(vars.minecraft_java_major).toBe(17)
  })

  it('downloads from the override URL when one is given, keeping the checksum', () => {
    const context = { ...CONTEXT, artifactUrlOverride: 'http://127.0.0.1:8080/server.jar' }
    const vars = minecraft.toAnsibleVars(MinecraftConfig.parse({ eula: true }), context)
    expect([vars.minecraft_server_jar_url, vars.minecraft_server_jar_checksum]).toEqual([
      'http://127.0.0.1:8080/server.jar',
      'sha1:e6ec2f64e6080b9b5d9b471b291c33cc7f509733',
    ])
  })

  it('opens RCON to the runner alone, with the generated password', () => {
    const config = MinecraftConfig.parse({ eula: true, rconEnabled: true })
    const vars = minecraft.toAnsibleVars(config, {
      ...CONTEXT,
      secrets: { rconPassword: 'generated-secret' },
    })
    expect([vars.minecraft_rcon_password, vars.minecraft_rcon_allowed_from]).toEqual([
      'generated-secret',
      ['192.168.1.5'],
    ])
  })

  it('asks for an RCON password only when RCON is on', () => {
    expect([
      minecraft.secrets(MinecraftConfig.parse({ eula: true })),
      minecraft.secrets(MinecraftConfig.parse({ eula: true, rconEnabled: true })),
    ]).toEqual([[], [{ name: 'rconPassword', bytes: 24 }]])
  })

  it('refuses to build RCON variables without the generated password', () => {
    const config = MinecraftConfig.parse({ eula: true, rconEnabled: true })
    expect(() => minecraft.toAnsibleVars(config, CONTEXT)).toThrow('no rconPassword secret')
  })

  it('refuses an artifact the runner did not resolve properly', () => {
    const context = { ...CONTEXT, artifact: { ...ARTIFACT, url: 'not a url' } }
    expect(() => minecraft.toAnsibleVars(MinecraftConfig.parse({ eula: true }), context)).toThrow()
  })
})

describe('Minecraft ports, sizing and health check', () => {
  it('publishes the game port, and RCON only to the runner', () => {
    const ports = minecraft.ports(
      MinecraftConfig.parse({ eula: true, serverPort: 25_600, rconEnabled: true }),
    )
    expect(ports.map((p) => [p.name, p.port, p.protocol, p.exposure])).toEqual([
      ['game', 25_600, 'tcp', 'public'],
      ['rcon', 25_575, 'tcp', 'runner'],
    ])
  })

  it('sizes the VM from the config', () => {
    expect(
      minecraft.sizing(MinecraftConfig.parse({ eula: true, memoryMb: 6144, cores: 4 })),
    ).toEqual({
      cores: 4,
      memoryMb: 6144,
      diskGb: 16,
    })
  })

  it('checks the game with a Server List Ping expecting the configured MOTD and slots', () => {
    const check = minecraft.healthCheck(
      MinecraftConfig.parse({ eula: true, motd: 'Hello', maxPlayers: 8 }),
    )
    expect(check).toEqual({
      kind: 'minecraft-slp',
      port: 25_565,
      expect: { motd: 'Hello', maxPlayers: 8 },
      timeoutMs: 5000,
    })
  })

  it('asks the runner to resolve the edition and version', () => {
    expect(
      minecraft.artifact(
        MinecraftConfig.parse({ eula: true, edition: 'paper', version: '1.21.5' }),
      ),
    ).toEqual({
      kind: 'minecraft-server',
      edition: 'paper',
      version: '1.21.5',
    })
  })
})

describe('game registry', () => {
  it('finds Minecraft by its id', () => {
    expect(getGame('minecraft')?.playbook).toBe('provision_minecraft.yml')
  })

  it('finds nothing for an unknown id, even an inherited property name', () => {
    expect([getGame('doom'), getGame('toString')]).toEqual([undefined, undefined])
  })

  it('validates game ids against the catalogue', () => {
    expect([GameId.safeParse('minecraft').success, GameId.safeParse('doom').success]).toEqual([
      true,
      false,
    ])
  })

  it('keys every module by its own id', () => {
    expect(Object.entries(GAMES).filter(([key, game]) => key !== game.id)).toEqual([])
  })
})
