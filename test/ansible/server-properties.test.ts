import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { MinecraftConfig, minecraft } from '../../core/games/minecraft'
import { ARTIFACT, outcomeOf, runProperties } from './fixtures'

/**
 * server.properties through the role's own tasks and module (library/minecraft_properties.py)
 * with the real `ansible-playbook` (`connection: local`): every managed key set in one module
 * run, escaped as java.util.Properties.store writes it (the server rewrites the file that way at
 * every start), the server's own lines kept, nothing changed on a second run, and the RCON
 * password in the file but never in the output.
 */

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const RCON_PASSWORD = 'rcon-Secret-0123456789'

function varsFor(config: Partial<MinecraftConfig>) {
  return minecraft.toAnsibleVars(MinecraftConfig.parse({ eula: true, ...config }), {
    runnerAddress: '127.0.0.1',
    artifact: ARTIFACT,
    secrets: { rconPassword: RCON_PASSWORD },
  })
}

const SET_TASK = 'Set the managed server.properties keys'

describe('server.properties', () => {
  it('sets every key in one task, escaped as Java writes it, keeping the lines the server wrote', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgd-properties-'))
    dirs.push(dir)
    // What a server that ran once left: its header, a timestamp, keys we do not manage, and an
    // older MOTD in the middle.
    writeFileSync(
      join(dir, 'server.properties'),
      [
        '#Minecraft server properties',
        '#Thu Dec 03 10:00:00 UTC 2026',
        'allow-flight=false',
        'motd=Old words',
        'max-world-size=29999984',
        '',
      ].join('\n'),
    )
    const motd = ' Lobby: a=b #1! C:\\games'
    const vars = varsFor({ motd, maxPlayers: 12, rconEnabled: true })
    const first = await runProperties(dir, vars)
    expect(first.result.error, first.lines.join('\n')).toBeNull()
    expect(outcomeOf(first.lines, SET_TASK)).toBe('changed')
    const lines = readFileSync(join(dir, 'server.properties'), 'utf8').split('\n')
    expect(lines.slice(0, 5)).toEqual([
      '#Minecraft server properties',
      '#Thu Dec 03 10:00:00 UTC 2026',
      'allow-flight=false',
      // In place, where the server had it; backslashes before \ : = # ! and a leading space.
      'motd=\\ Lobby\\: a\\=b \\#1\\! C\\:\\\\games',
      'max-world-size=29999984',
    ])
    expect(lines).toContain('max-players=12')
    expect(lines).toContain('enable-rcon=true')
    expect(lines).toContain(`rcon.password=${RCON_PASSWORD}`)
    expect(lines.filter((l) => l.startsWith('motd='))).toHaveLength(1)
    expect(first.lines.join('\n')).not.toContain(RCON_PASSWORD)
    // The other files, written by one task beside it: the EULA and the systemd unit.
    expect(readFileSync(join(dir, 'eula.txt'), 'utf8')).toMatch(/^eula=true$/m)
    expect(readFileSync(join(dir, 'minecraft.service'), 'utf8')).toMatch(
      /^ExecStart=\S+\/bin\/java -Xms\d+M -Xmx\d+M .* -jar server\.jar nogui$/m,
    )

    const again = await runProperties(dir, vars)
    expect(again.result.error).toBeNull()
    expect(outcomeOf(again.lines, SET_TASK)).toBe('ok')
    expect(again.result.recap?.changed).toBe(0)
    expect(readFileSync(join(dir, 'server.properties'), 'utf8').split('\n')).toEqual(lines)
  })

  it('changes only the keys whose value differs, and says the task changed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgd-properties-'))
    dirs.push(dir)
    expect((await runProperties(dir, varsFor({ maxPlayers: 20 }))).result.error).toBeNull()
    const before = readFileSync(join(dir, 'server.properties'), 'utf8').split('\n')
    const next = await runProperties(dir, varsFor({ maxPlayers: 30 }))
    expect(outcomeOf(next.lines, SET_TASK)).toBe('changed')
    const after = readFileSync(join(dir, 'server.properties'), 'utf8').split('\n')
    expect(after.filter((l, i) => l !== before[i])).toEqual(['max-players=30'])
  })
})
