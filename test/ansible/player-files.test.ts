import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { MinecraftConfig, minecraft } from '../../core/games/minecraft'
import { resolvePlayers } from '../../runner/src/games/minecraft-players'
import { ARTIFACT, outcomeOf, runProperties } from './fixtures'

/**
 * The whitelist and the operators reach the server as JSON files written by the role's own
 * tasks through the real `ansible-playbook` (`connection: local`): valid JSON, exactly the
 * players asked for, with the UUIDs the runner resolved (offline mode: computed from the names).
 */

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const FILES_TASK = "Write the server's files (EULA, player lists, systemd unit)"

describe('whitelist.json and ops.json', () => {
  it('writes the resolved players as JSON, operators whitelisted too, and turns the whitelist on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgd-players-'))
    dirs.push(dir)
    const config = MinecraftConfig.parse({
      eula: true,
      onlineMode: false,
      whiteList: true,
      whitelistPlayers: ['Alex_1', 'steve'],
      operators: ['Admin_Bob'],
    })
    const request = minecraft.players?.(config)
    expect(request).toEqual({ names: ['Alex_1', 'steve', 'Admin_Bob'], online: false })
    const players = await resolvePlayers(request!, { userAgent: 'test' })
    const vars = minecraft.toAnsibleVars(config, {
      runnerAddress: null,
      artifact: ARTIFACT,
      secrets: {},
      players,
    })
    const { result, lines } = await runProperties(dir, vars)
    expect(result.error, lines.join('\n')).toBeNull()
    const whitelist = JSON.parse(readFileSync(join(dir, 'whitelist.json'), 'utf8')) as unknown
    const ops = JSON.parse(readFileSync(join(dir, 'ops.json'), 'utf8')) as unknown
    expect(whitelist).toEqual([
      { uuid: players.alex_1!.uuid, name: 'Alex_1' },
      { uuid: players.steve!.uuid, name: 'steve' },
      { uuid: players.admin_bob!.uuid, name: 'Admin_Bob' },
    ])
    expect(ops).toEqual([
      { uuid: players.admin_bob!.uuid, name: 'Admin_Bob', level: 4, bypassesPlayerLimit: false },
    ])
    // Gson's pretty print, as the vanilla server rewrites ops.json (StoredUserList.save): 2
    // spaces, its key order, no final newline; so its rewrite at start changes nothing.
    expect(readFileSync(join(dir, 'ops.json'), 'utf8')).toBe(
      `[\n  {\n    "uuid": "${players.admin_bob!.uuid}",\n    "name": "Admin_Bob",\n    "level": 4,\n    "bypassesPlayerLimit": false\n  }\n]`,
    )
    const properties = readFileSync(join(dir, 'server.properties'), 'utf8').split('\n')
    expect(properties).toContain('white-list=true')
    expect(properties).toContain('enforce-whitelist=true')
  }, 120_000)
  it('restarts for new player lists, unless the runner applies them live or asks for it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgd-players-'))
    dirs.push(dir)
    const restart = 'Restart for the new player lists'
    const first = await runProperties(dir, await varsFor({ operators: ['Admin_Bob'] }))
    expect(outcomeOf(first.lines, restart)).toBe('changed')
    // A change of the lists alone, applied live: the files move, nothing restarts.
    const live = await runProperties(dir, {
      ...(await varsFor({ whitelistPlayers: ['Steve'], operators: ['Admin_Bob'] })),
      minecraft_players_live: true,
    })
    expect(live.result.error, live.lines.join('\n')).toBeNull()
    expect(outcomeOf(live.lines, FILES_TASK)).toBe('changed')
    expect(outcomeOf(live.lines, restart)).toBe('skipping')
    expect(live.lines.join('\n')).toContain('the runner applies them through the console')
    const names = (
      JSON.parse(readFileSync(join(dir, 'whitelist.json'), 'utf8')) as { name: string }[]
    ).map((p) => p.name)
    expect(names).toEqual(['Steve', 'Admin_Bob'])
    // The console failed: the runner runs the playbook again asking for the restart.
    const asked = await runProperties(dir, {
      ...(await varsFor({ whitelistPlayers: ['Steve'], operators: ['Admin_Bob'] })),
      minecraft_players_live: true,
      minecraft_restart_requested: true,
    })
    expect(outcomeOf(asked.lines, FILES_TASK)).toBe('ok')
    expect(outcomeOf(asked.lines, restart)).toBe('changed')
  }, 150_000)
})

/** The playbook's vars for an offline-mode server with these players. */
async function varsFor(players: { whitelistPlayers?: string[]; operators?: string[] }) {
  const config = MinecraftConfig.parse({
    eula: true,
    onlineMode: false,
    whiteList: true,
    ...players,
  })
  const resolved = await resolvePlayers(minecraft.players!(config)!, { userAgent: 'test' })
  return minecraft.toAnsibleVars(config, {
    runnerAddress: null,
    artifact: ARTIFACT,
    secrets: {},
    players: resolved,
  })
}
