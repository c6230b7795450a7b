import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { runPlaybook } from '../../runner/src/ansible/run-playbook'

/** What the Ansible tests share: the roles' folder and a resolved Minecraft server artifact. */

export const ROLES = new URL('../../ansible/roles', import.meta.url).pathname

/** A resolved vanilla 1.21.5 jar on a loopback port nothing listens on (never downloaded). */
export const ARTIFACT = {
  edition: 'vanilla',
  version: '1.21.5',
  url: 'http://127.0.0.1:9/server.jar',
  checksum: { algorithm: 'sha1', hex: 'e6ec2f64e6080b9b5d9b471b291c33cc7f509733' },
  javaMajor: 21,
} as const

/**
 * What the role's server-file tasks need when run on this machine into `dir`, as this user:
 * no become, the files (the systemd unit too) in `dir`, and what facts and the platform's vars
 * would give on a VM (these runs gather no facts and skip main.yml).
 */
export function roleVarsIn(dir: string): Record<string, unknown> {
  const user = userInfo().username
  const group = execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim()
  return {
    ansible_become: false,
    ansible_architecture: 'x86_64',
    minecraft_distro_java_majors: [21],
    minecraft_server_dir: dir,
    minecraft_user: user,
    minecraft_group: group,
    minecraft_unit_path: join(dir, 'minecraft.service'),
    minecraft_unit_owner: user,
    minecraft_unit_group: group,
  }
}

/** The role's properties tasks through the real `ansible-playbook`, stopped before the handlers. */
export async function runProperties(dir: string, vars: Record<string, unknown>) {
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
    extraVars: { ...vars, ...roleVarsIn(dir) },
    log: (line) => lines.push(line),
    env: { ANSIBLE_ROLES_PATH: ROLES },
  })
  return { result, lines }
}

/** What the task called `name` did in a run: `changed`, `ok`, `skipping`… */
export function outcomeOf(lines: string[], name: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  const plain = lines.map((l) => l.replace(/\u001b\[[0-9;]*m/g, ''))
  const at = plain.findIndex((l) => l.includes(`: ${name}]`))
  return plain
    .slice(at + 1)
    .find((l) => /^(changed|ok|skipping):/.test(l))
    ?.split(':')[0]
}
