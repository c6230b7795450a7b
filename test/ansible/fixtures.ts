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
