import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { MinecraftConfig, minecraft } from '../../core/games/minecraft'
import { runPlaybook } from '../../runner/src/ansible/run-playbook'
import { resolvePlayers } from '../../runner/src/games/minecraft-players'
import { ARTIFACT, ROLES } from './fixtures'

/**
 * The whitelist and the operators reach the server as JSON files written by the role's own
 * tasks through the real `ansible-playbook` (`connection: local`): valid JSON, exactly the
 * players asked for, with the UUIDs the runner resolved (offline mode: computed from the names).
 */

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

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
    const playbook = join(dir, 'playbook.yml')
    writeFileSync(
      playbook,
      [
        '- name: Write the server files with the role’s own tasks',
        '  hosts: all',
        '  gather_facts: false',
        '  tasks:',
        '    - name: Configure the server',
        '      ansible.builtin.include_role:',
        '        name: minecraft',
        '        tasks_from: properties',
        '    - name: Stop before the handlers',
        '      ansible.builtin.meta: end_play',
        '',
      ].join('\n'),
    )
    const lines: string[] = []
    const result = await runPlaybook({
      playbook,
      target: { address: '127.0.0.1', user: userInfo().username, connection: 'local' },
      extraVars: {
        ansible_become: false,
        ...vars,
        minecraft_server_dir: dir,
        minecraft_user: userInfo().username,
        minecraft_group: execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim(),
      },
      log: (line) => lines.push(line),
      env: { ANSIBLE_ROLES_PATH: ROLES },
    })
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
    const properties = readFileSync(join(dir, 'server.properties'), 'utf8').split('\n')
    expect(properties).toContain('white-list=true')
    expect(properties).toContain('enforce-whitelist=true')
  })
})
