import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { runnerInstallCommands } from '../../core/runner-install'

/** The install commands the dashboard shows: the same server, code and name, safely quoted. */
describe('runner install commands', () => {
  it('give the playbook and the by-hand path the same server, code and name', () => {
    const { ansible, manual } = runnerInstallCommands('https://games.example.com', 'AB-12', 'den')
    expect(ansible).toBe(
      "ansible-playbook -i 'runner.lan,' ansible/install_runner.yml -e pgd_server=https://games.example.com -e pgd_code=AB-12 -e pgd_runner_name=den",
    )
    expect(manual.join('\n')).toContain(
      'register --server https://games.example.com --code AB-12 --name den --state-dir /var/lib/pgd-runner',
    )
    expect(manual.at(-1)).toBe(
      'sudo systemctl daemon-reload && sudo systemctl enable --now pgd-runner',
    )
  })

  it('quotes a runner name so a shell takes it as one word, whatever it holds', () => {
    const { ansible, manual } = runnerInstallCommands(
      'https://x.example',
      'C',
      "Bob's den; rm -rf /",
    )
    expect(ansible).toContain(`-e '{"pgd_runner_name":"Bob'\\''s den; rm -rf /"}'`)
    expect(manual.join('\n')).toContain(`--name 'Bob'\\''s den; rm -rf /'`)
  })
})

describe('the install instructions in the READMEs', () => {
  it('are the very commands the dashboard shows', () => {
    const { ansible, manual } = runnerInstallCommands(
      'https://games.example.com',
      'ABCD-1234',
      'den',
    )
    for (const file of ['../../README.md', '../../runner/README.md']) {
      const text = readFileSync(new URL(file, import.meta.url), 'utf8')
      expect(text).toContain(ansible)
      for (const line of manual.filter((l) => !l.startsWith('#'))) {
        expect(text, `${file}: ${line}`).toContain(line)
      }
    }
  })
})
