import { describe, expect, it } from 'vitest'
import { formFields } from '../../core/form-schema'
import { GAMES, GameId, getGame } from '../../core/games'
import { ValheimConfig, valheim } from '../../core/games/valheim'
import { preparePlaybook } from '../../runner/src/games/prepare'

/** The smallest valid config: everything defaulted but the password. */
const VALID = { password: 'hunter22' }

function firstIssue(input: unknown): { path: string; message: string } | null {
  const parsed = ValheimConfig.safeParse(input)
  if (parsed.success) return null
  const issue = parsed.error.issues[0]!
  return { path: issue.path.join('.'), message: issue.message }
}

describe('Valheim in the catalogue', () => {
  it('is registered beside Minecraft under the id "valheim"', () => {
    expect([Object.keys(GAMES), GameId.parse('valheim'), getGame('valheim')]).toEqual([
      ['minecraft', 'valheim'],
      'valheim',
      valheim,
    ])
  })

  it('names its own playbook and needs no artifact or generated secret', () => {
    const config = ValheimConfig.parse(VALID)
    expect([valheim.playbook, valheim.artifact(config), valheim.secrets(config)]).toEqual([
      'provision_valheim.yml',
      null,
      [],
    ])
  })

  it('marks the password as sensitive, and nothing else', () => {
    expect(valheim.sensitiveFields).toEqual(['password'])
  })
})

describe('Valheim config schema', () => {
  it('fills every default once a password is chosen', () => {
    expect(ValheimConfig.parse(VALID)).toEqual({ ...valheim.defaults, ...VALID })
  })

  it('starts the form without a password, which the admin must then choose', () => {
    expect(firstIssue(valheim.defaults)?.path).toBe('password')
    expect(firstIssue({})).toEqual({
      path: 'password',
      message: 'Invalid input: expected string, received undefined',
    })
  })

  it('refuses a password shorter than 5 characters, saying Valheim would not start', () => {
    expect(firstIssue({ password: 'abcd' })).toEqual({
      path: 'password',
      message: 'must be at least 5 characters: Valheim refuses to start with a shorter one',
    })
  })

  it('accepts a password of exactly 5 characters', () => {
    expect(firstIssue({ password: 'abcde' })).toBeNull()
  })

  it('refuses a password containing the server name, whatever the case', () => {
    expect(firstIssue({ serverName: 'Vikings', password: 'vikings-rule' })).toEqual({
      path: 'password',
      message: 'must not contain the server name, nor be part of it: Valheim refuses to start',
    })
  })

  it('refuses a password that is part of the server name', () => {
    expect(firstIssue({ serverName: 'Odin’s hall', password: 'Odin’' })?.path).toBe('password')
  })

  it('refuses a password containing the world name', () => {
    expect(firstIssue({ worldName: 'Midgard', password: 'midgard2024' })).toEqual({
      path: 'password',
      message: 'must not contain the world name, nor be part of it: Valheim refuses to start',
    })
  })

  it('refuses world names that would not make a plain save file name', () => {
    for (const worldName of ['My World', '../etc', 'Mídgard', '']) {
      expect([worldName, firstIssue({ ...VALID, worldName })?.path]).toEqual([
        worldName,
        'worldName',
      ])
    }
    expect(firstIssue({ ...VALID, worldName: 'My World' })?.message).toBe(
      'may hold only letters, digits, - and _ (it names the save files)',
    )
  })

  it('refuses a server name on two lines', () => {
    expect(firstIssue({ ...VALID, serverName: 'one\ntwo' })).toEqual({
      path: 'serverName',
      message: 'must be a single line',
    })
  })

  it('refuses a server name or a password holding a template marker, saying which', () => {
    expect(firstIssue({ ...VALID, serverName: "{{ lookup('pipe', 'id') }}" })).toEqual({
      path: 'serverName',
      message: 'must not contain "{{", "{%" or "{#"',
    })
    expect(firstIssue({ ...VALID, password: 'open{%sesame' })).toEqual({
      path: 'password',
      message: 'must not contain "{{", "{%" or "{#"',
    })
  })

  it('refuses game ports outside 1024–65534 (the query port is the next one)', () => {
    expect([
      firstIssue({ ...VALID, gamePort: 80 })?.path,
      firstIssue({ ...VALID, gamePort: 65_535 })?.path,
      firstIssue({ ...VALID, gamePort: 65_534 }),
    ]).toEqual(['gamePort', 'gamePort', null])
  })

  it('refuses less than 4 GiB of memory or fewer than 2 cores', () => {
    expect([
      firstIssue({ ...VALID, memoryMb: 2048 })?.path,
      firstIssue({ ...VALID, cores: 1 })?.path,
    ]).toEqual(['memoryMb', 'cores'])
  })

  it('refuses an unknown preset or modifier value', () => {
    expect([
      firstIssue({ ...VALID, preset: 'nightmare' })?.path,
      firstIssue({ ...VALID, raids: 'often' })?.path,
    ]).toEqual(['preset', 'raids'])
  })

  it('lists only real fields as advanced or sensitive', () => {
    const keys = Object.keys(ValheimConfig.shape)
    const listed = [...valheim.advancedFields, ...(valheim.sensitiveFields ?? [])]
    expect(listed.filter((f) => !keys.includes(f))).toEqual([])
  })
})

describe('the generated Valheim form', () => {
  const fields = formFields(valheim.configSchema, valheim.advancedFields, valheim.sensitiveFields)
  const byKey = new Map(fields.map((f) => [f.key, f]))

  it('shows the basics first and folds the tuning under "Advanced"', () => {
    expect({
      basic: fields.filter((f) => !f.advanced).map((f) => f.key),
      advanced: fields.filter((f) => f.advanced).map((f) => f.key),
    }).toEqual({
      basic: ['serverName', 'worldName', 'password', 'public', 'memoryMb', 'preset'],
      advanced: [
        'cores',
        'diskGb',
        'gamePort',
        'saveIntervalS',
        'backups',
        'combat',
        'deathPenalty',
        'resources',
        'raids',
        'portals',
      ],
    })
  })

  it('requires the password, with the rules the schema enforces in its help, in both languages', () => {
    expect(byKey.get('password')).toMatchObject({
      kind: 'string',
      required: true,
      maxLength: 64,
      sensitive: true,
    })
    expect(fields.filter((f) => f.sensitive).map((f) => f.key)).toEqual(['password'])
    expect([
      valheim.texts.en.fields.password?.help,
      valheim.texts.fr.fields.password?.help,
    ]).toEqual([
      expect.stringMatching(/at least 5 characters.*server name.*world name/),
      expect.stringMatching(/au moins 5 caractères.*nom du serveur.*monde/),
    ])
  })

  it('offers the presets as a list and the port with its bounds', () => {
    expect([byKey.get('preset'), byKey.get('gamePort')]).toMatchObject([
      {
        kind: 'enum',
        default: 'normal',
        options: ['normal', 'casual', 'easy', 'hard', 'hardcore', 'immersive', 'hammer'],
      },
      { kind: 'integer', default: 2456, minimum: 1024, maximum: 65_534 },
    ])
  })
})

describe('Valheim sizing, ports and health check', () => {
  it('sizes the VM from the config, 4 GiB and 2 cores by default', () => {
    expect([
      valheim.sizing(ValheimConfig.parse(VALID)),
      valheim.sizing(ValheimConfig.parse({ ...VALID, memoryMb: 8192, cores: 4, diskGb: 40 })),
    ]).toEqual([
      { cores: 2, memoryMb: 4096, diskGb: 20 },
      { cores: 4, memoryMb: 8192, diskGb: 40 },
    ])
  })

  it('publishes the game port and the Steam query port after it, both UDP', () => {
    const ports = valheim.ports(ValheimConfig.parse({ ...VALID, gamePort: 2500 }))
    expect(ports.map((p) => [p.name, p.port, p.protocol, p.exposure])).toEqual([
      ['game', 2500, 'udp', 'public'],
      ['query', 2501, 'udp', 'public'],
    ])
  })

  it('checks the game with Steam’s A2S_INFO query on the query port, expecting its name', () => {
    const config = ValheimConfig.parse({ ...VALID, gamePort: 2500 })
    expect(valheim.healthCheck(config)).toEqual({
      kind: 'steam-a2s',
      port: 2501,
      expect: { name: config.serverName },
      timeoutMs: 5000,
    })
  })
})

describe('Valheim playbook variables', () => {
  it('passes every setting to the playbook, modifiers left at normal left out', () => {
    const config = ValheimConfig.parse({
      serverName: 'Odin',
      worldName: 'Midgard',
      password: 'ravens',
      public: true,
      preset: 'hard',
      raids: 'none',
    })
    expect(
      valheim.toAnsibleVars(config, { runnerAddress: null, artifact: null, secrets: {} }),
    ).toEqual({
      valheim_server_name: 'Odin',
      valheim_world_name: 'Midgard',
      valheim_password: 'ravens',
      valheim_public: true,
      valheim_port: 2456,
      valheim_save_interval_s: 1800,
      valheim_backups: 4,
      valheim_preset: 'hard',
      valheim_modifiers: { raids: 'none' },
      valheim_memory_mb: 4096,
    })
  })

  it('passes no preset flag for the normal preset', () => {
    const vars = valheim.toAnsibleVars(ValheimConfig.parse(VALID), {
      runnerAddress: null,
      artifact: null,
      secrets: {},
    })
    expect([vars.valheim_preset, vars.valheim_modifiers]).toEqual(['', {}])
  })

  it('is prepared by the runner without any artifact resolver', async () => {
    const unused = {
      resolve: () => Promise.reject(new Error('Valheim must not resolve an artifact')),
    }
    const prepared = await preparePlaybook({
      game: valheim,
      config: VALID,
      ansibleDir: '/opt/pgd-runner/ansible',
      runnerAddress: null,
      secrets: {},
      resolvers: { minecraft: unused },
    })
    expect([prepared.playbook, prepared.artifact, prepared.extraVars.valheim_password]).toEqual([
      '/opt/pgd-runner/ansible/provision_valheim.yml',
      null,
      'hunter22',
    ])
  })
})
