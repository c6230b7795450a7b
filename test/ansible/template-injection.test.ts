import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { MinecraftConfig, minecraft } from '../../core/games/minecraft'
import { ValheimConfig, valheim } from '../../core/games/valheim'
import { runPlaybook } from '../../runner/src/ansible/run-playbook'
import { ARTIFACT, ROLES, runProperties } from './fixtures'

/**
 * Free text from a game's config reaches `ansible-playbook` as extra vars. Ansible templates
 * string variables when a task uses them, so a MOTD of `{{ lookup('pipe', …) }}` would run a
 * command on the runner host. The schemas refuse such text (game-module tests); this checks the
 * layer under them, with a config that got past the schema (stored before the check existed):
 * the real `ansible-playbook` runs the roles' own tasks and templates on this machine
 * (`connection: local`), the text lands literally, and the command never runs.
 */

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pgd-injection-'))
  dirs.push(dir)
  return dir
}

/** A playbook in `dir` from its lines. */
function playbook(dir: string, lines: string[]): string {
  const path = join(dir, 'playbook.yml')
  writeFileSync(path, `${lines.join('\n')}\n`)
  return path
}

/** Runs `path` locally with `extraVars` as the runner passes them; returns the result and output. */
async function run(path: string, extraVars: Record<string, unknown>) {
  const lines: string[] = []
  const result = await runPlaybook({
    playbook: path,
    target: { address: '127.0.0.1', user: userInfo().username, connection: 'local' },
    extraVars: { ansible_become: false, ...extraVars },
    log: (line) => lines.push(line),
    env: { ANSIBLE_ROLES_PATH: ROLES },
  })
  return { ...result, output: lines.join('\n') }
}

describe('game text reaches Ansible as data, never as a template', () => {
  it('writes a Minecraft MOTD and seed holding Jinja literally into server.properties, running nothing', async () => {
    const dir = tempDir()
    const marker = join(dir, 'injected-command-ran')
    const motd = `{{ lookup('pipe', 'touch ${marker}') }}`
    const config = { ...MinecraftConfig.parse({ eula: true }), motd, levelSeed: '{{ 7*7 }}' }
    const vars = minecraft.toAnsibleVars(config, {
      runnerAddress: null,
      artifact: ARTIFACT,
      secrets: {},
    })
    const { result } = await runProperties(dir, vars)
    expect(result.error).toBeNull()
    const properties = readFileSync(join(dir, 'server.properties'), 'utf8').split('\n')
    expect(properties).toContain(`motd=${motd}`)
    expect(properties).toContain('level-seed={{ 7*7 }}')
    expect(existsSync(marker)).toBe(false)
  })

  it('writes a Valheim server name and password holding Jinja literally into valheim.env, running nothing', async () => {
    const dir = tempDir()
    const marker = join(dir, 'injected-command-ran')
    const serverName = `{{ lookup('pipe', 'touch ${marker}') }} hall`
    const password = `{% if true %}{{ lookup('pipe', 'touch ${marker}') }}{% endif %}{# x #}`
    const config = { ...ValheimConfig.parse({ password: 'hunter22' }), serverName, password }
    const vars = valheim.toAnsibleVars(config, { runnerAddress: null, artifact: null, secrets: {} })
    const path = playbook(dir, [
      '- name: Check and write the Valheim settings with the role’s own tasks and template',
      '  hosts: all',
      '  gather_facts: true',
      '  tasks:',
      // The preflight's conditions read the password and the names.
      '    - name: Check the preconditions',
      '      ansible.builtin.include_role:',
      '        name: valheim',
      '        tasks_from: preflight',
      '        public: true',
      '    - name: Write the server settings',
      '      ansible.builtin.template:',
      `        src: ${ROLES}/valheim/templates/valheim.env.j2`,
      `        dest: ${dir}/valheim.env`,
      '        mode: "0600"',
    ])
    const result = await run(path, vars)
    expect(result.error).toBeNull()
    const env = readFileSync(join(dir, 'valheim.env'), 'utf8').split('\n')
    expect(env).toContain(`VALHEIM_NAME="${serverName}"`)
    expect(env).toContain(`VALHEIM_PASSWORD="${password}"`)
    expect(env).toContain('VALHEIM_WORLD="Dedicated"')
    expect(existsSync(marker)).toBe(false)
  })

  it('refuses a Valheim world name holding Jinja in the preflight, running nothing', async () => {
    const dir = tempDir()
    const marker = join(dir, 'injected-command-ran')
    const worldName = `{{ lookup('pipe', 'touch ${marker}') }}`
    const config = { ...ValheimConfig.parse({ password: 'hunter22' }), worldName }
    const vars = valheim.toAnsibleVars(config, { runnerAddress: null, artifact: null, secrets: {} })
    const path = playbook(dir, [
      '- name: Run the Valheim preflight only',
      '  hosts: all',
      '  gather_facts: true',
      '  tasks:',
      '    - name: Check the preconditions',
      '      ansible.builtin.include_role:',
      '        name: valheim',
      '        tasks_from: preflight',
    ])
    const result = await run(path, vars)
    expect(result.failure?.task).toBe('valheim : Check the names, the port and the world settings')
    expect(existsSync(marker)).toBe(false)
  })
})
