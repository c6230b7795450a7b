import { spawn } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runPlaybook } from '../../runner/src/ansible/run-playbook'
import type { RunPlaybookOptions, SpawnFn } from '../../runner/src/ansible/run-playbook'

/**
 * The executor against a real ansible-playbook (Debian's package) on this machine, with
 * ansible_connection=local and tiny playbooks: streaming, exit codes, the failing task, abort,
 * and what reaches the command line and the disk.
 */

const PLAYBOOKS = new URL('./playbooks/', import.meta.url).pathname
const SECRET = 'hunter2-do-not-log-me'

interface Spawned {
  argv: string[]
  pid: number | undefined
  extraVarsMode: number | null
  extraVarsPath: string | null
}

function recordingSpawn(): { spawn: SpawnFn; spawned: Spawned[] } {
  const spawned: Spawned[] = []
  const wrapped: SpawnFn = (command, args, options) => {
    const at = args.indexOf('--extra-vars')
    const path = at >= 0 ? (args[at + 1] ?? '').replace(/^@/, '') : null
    const child = spawn(command, args, options)
    spawned.push({
      argv: [command, ...args],
      pid: child.pid,
      extraVarsPath: path,
      extraVarsMode: path && existsSync(path) ? statSync(path).mode & 0o777 : null,
    })
    return child
  }
  return { spawn: wrapped, spawned }
}

/** Processes of a process group that are still running (zombies waiting to be reaped excluded). */
function liveInGroup(pgid: number): number[] {
  const live: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid pgrp …"; comm may hold spaces, so split after ")".
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(pgrp) === pgid && state !== 'Z') live.push(Number(entry))
    } catch {
      // The process ended while we read.
    }
  }
  return live
}

/** Waits (at most 5 s) for a process group to have no live process left; returns what is left. */
async function groupAfterExit(pgid: number): Promise<number[]> {
  const deadline = Date.now() + 5_000
  while (liveInGroup(pgid).length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return liveInGroup(pgid)
}

function run(playbook: string, extra: Partial<RunPlaybookOptions> = {}) {
  const lines: string[] = []
  const recorder = recordingSpawn()
  const result = runPlaybook({
    playbook: join(PLAYBOOKS, playbook),
    target: { address: '127.0.0.1', user: 'root', connection: 'local' },
    extraVars: { greeting_target: 'world', test_password: SECRET },
    secrets: [SECRET],
    log: (line) => lines.push(line),
    spawn: recorder.spawn,
    ...extra,
  })
  return { result, lines, spawned: recorder.spawned }
}

describe('Ansible executor', () => {
  it('streams every output line, from the play header to the recap', async () => {
    const { result, lines } = await run('ok.yml')
    await result
    expect(lines).toContain(
      'TASK [Say hello] ***************************************************************',
    )
    expect(lines.some((l) => l.startsWith('PLAY RECAP'))).toBe(true)
  })

  it('times each task: its length after the next header, the slowest ones after the recap', async () => {
    const { result, lines } = await run('ok.yml')
    await result
    const header = lines.indexOf(
      'TASK [Say hello] ***************************************************************',
    )
    // "<date> (0:00:00.012)       0:00:01.234 ***": the previous task's length, the total.
    expect(lines[header + 1]).toMatch(/\(\d+:\d\d:\d\d\.\d{3}\)\s+\d+:\d\d:\d\d\.\d{3} \*+ ?$/)
    const recap = lines.findIndex((l) => l.startsWith('PLAY RECAP'))
    expect(lines.slice(recap).some((l) => /^Say hello -+ \d+\.\d\ds$/.test(l))).toBe(true)
  })

  it('passes the extra vars to the playbook', async () => {
    const { result, lines } = await run('ok.yml')
    await result
    expect(lines).toContain('    "msg": "hello world"')
  })

  it('reports success with the recap counters', async () => {
    const { result } = await run('ok.yml')
    const r = await result
    expect({
      ok: r.ok,
      exitCode: r.exitCode,
      error: r.error,
      changed: r.recap?.changed,
      failed: r.recap?.failed,
    }).toEqual({ ok: true, exitCode: 0, error: null, changed: 1, failed: 0 })
  })

  it('replaces secrets with *** in the streamed lines', async () => {
    const { result, lines } = await run('ok.yml')
    await result
    expect(lines).toContain('    "msg": "the password is ***"')
    expect(lines.join('\n')).not.toContain(SECRET)
  })

  it('names the failing task and Ansible’s message, not the ignored failure before it', async () => {
    const { result } = await run('fail.yml')
    const r = await result
    expect({ ok: r.ok, exitCode: r.exitCode, task: r.failure?.task, error: r.error }).toEqual({
      ok: false,
      exitCode: 2,
      task: 'Refuse to go on',
      error: 'Ansible task "Refuse to go on" failed: the world is flat (one or more hosts failed)',
    })
  })

  it('explains a playbook that does not parse', async () => {
    const { result } = await run('broken.yml')
    const r = await result
    expect({ exitCode: r.exitCode, error: r.error }).toEqual({
      exitCode: 4,
      error: 'ansible-playbook failed (parser error (the playbook or the inventory is invalid))',
    })
  })

  it('keeps secrets off the command line', async () => {
    const { result, spawned } = await run('ok.yml')
    await result
    expect(spawned).toHaveLength(1)
    expect(spawned[0]!.argv.join(' ')).not.toContain(SECRET)
  })

  it('hands the extra vars over in a 0600 file', async () => {
    const { result, spawned } = await run('ok.yml')
    await result
    expect(spawned[0]!.extraVarsMode).toBe(0o600)
  })

  it('removes the extra vars file once the run is over', async () => {
    const { result, spawned } = await run('ok.yml')
    await result
    expect(existsSync(spawned[0]!.extraVarsPath!)).toBe(false)
  })

  it('stops ansible-playbook and its children when aborted', async () => {
    const controller = new AbortController()
    const { result, spawned } = run('slow.yml', {
      signal: controller.signal,
      log: (line) => {
        if (line.startsWith('TASK [Sleep for a minute]')) setTimeout(() => controller.abort(), 500)
      },
    })
    const r = await result
    const left = await groupAfterExit(spawned[0]!.pid!)
    expect({ ok: r.ok, aborted: r.aborted, error: r.error, left }).toEqual({
      ok: false,
      aborted: true,
      error: 'ansible-playbook was stopped: the step was cancelled',
      left: [],
    })
  })

  it('kills an ansible-playbook that ignores SIGTERM once the grace period is over', async () => {
    const controller = new AbortController()
    const { result } = run('slow.yml', {
      ansiblePlaybookBin: new URL('./ignore-term.sh', import.meta.url).pathname,
      killGraceMs: 300,
      signal: controller.signal,
      log: (line) => {
        if (line.startsWith('TASK [Stubborn]')) controller.abort()
      },
    })
    const r = await result
    expect({ aborted: r.aborted, exitCode: r.exitCode }).toEqual({ aborted: true, exitCode: null })
  })

  it('refuses extra vars with a key that is not a plain name, never starting ansible-playbook', async () => {
    const { result, spawned } = run('ok.yml', {
      extraVars: { greeting_target: 'world', nested: { "{{ lookup('pipe', 'id') }}": 1 } },
    })
    expect((await result).error).toBe(
      "ansible-playbook not started: extra vars.nested has a key Ansible could template: {{ lookup('pipe', 'id') }}",
    )
    expect(spawned).toEqual([])
  })

  it('says so when ansible-playbook cannot be started', async () => {
    const { result } = run('ok.yml', { ansiblePlaybookBin: '/nonexistent/ansible-playbook' })
    expect((await result).error).toBe(
      'ansible-playbook could not start: spawn /nonexistent/ansible-playbook ENOENT',
    )
  })
})
