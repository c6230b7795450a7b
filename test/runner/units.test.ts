import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { LogLine } from '../../core/protocol'
import { Backoff } from '../../runner/src/net/backoff'
import { loadConfig } from '../../runner/src/setup/config'
import { LogOutbox } from '../../runner/src/jobs/log-outbox'
import { Redactor } from '../../runner/src/redact'
import { ensureSshKeyPair } from '../../runner/src/ssh/key'
import { removeDirs, tempDir } from './harness'

const dirs: string[] = []
afterEach(() => removeDirs(dirs))

function dir(): string {
  const d = tempDir()
  dirs.push(d)
  return d
}

const HOME = { HOME: '/home/runner' }

describe('loadConfig', () => {
  it('fills the documented defaults for run', () => {
    const r = loadConfig({ ...HOME, RUNNER_SERVER: 'https://games.example.com/' }, ['run'])
    expect(r).toMatchObject({
      ok: true,
      config: {
        command: 'run',
        server: 'https://games.example.com',
        stateDir: '/home/runner/.pgd-runner',
        keyFile: '/home/runner/.pgd-runner/runner.json',
        maxJobs: 2,
        heartbeatIntervalMs: 10_000,
        backoffMaxMs: 30_000,
        executor: 'real',
      },
    })
  })

  it('lets a flag win over its environment variable', () => {
    const r = loadConfig({ ...HOME, RUNNER_MAX_JOBS: '3' }, ['run', '--max-jobs', '5'])
    expect(r.ok && r.config.command === 'run' && r.config.maxJobs).toBe(5)
  })

  it('uses systemd STATE_DIRECTORY when no state dir is given', () => {
    const r = loadConfig({ STATE_DIRECTORY: '/var/lib/pgd-runner' }, ['run'])
    expect(r.ok && r.config.command === 'run' && r.config.keyFile).toBe(
      '/var/lib/pgd-runner/runner.json',
    )
  })

  it('names the variable and the flag of an invalid value', () => {
    expect(loadConfig({ ...HOME, RUNNER_MAX_JOBS: '0' }, ['run'])).toMatchObject({
      ok: false,
      errors: [expect.stringMatching(/^RUNNER_MAX_JOBS \(--max-jobs\): /)],
    })
  })

  it('refuses plain http to anything but this machine', () => {
    const bad = loadConfig(HOME, [
      'register',
      '--server',
      'http://games.example.com',
      '--code',
      'x',
    ])
    expect(bad).toMatchObject({
      ok: false,
      errors: [expect.stringMatching(/^RUNNER_SERVER \(--server\): .*https/)],
    })
    const local = loadConfig(HOME, ['register', '--server', 'http://127.0.0.1:8787', '--code', 'x'])
    expect(local.ok).toBe(true)
  })

  it('requires a code to register', () => {
    const r = loadConfig(HOME, ['register', '--server', 'https://games.example.com'])
    expect(r).toMatchObject({
      ok: false,
      errors: [expect.stringMatching(/^RUNNER_CODE \(--code\)/)],
    })
  })

  it('names a bad fake executor option by its variable', () => {
    const r = loadConfig({ ...HOME, RUNNER_FAKE_STEP_DELAYS: 'clone=soon' }, ['run'])
    expect(r).toMatchObject({
      ok: false,
      errors: [expect.stringMatching(/^RUNNER_FAKE_STEP_DELAYS: /)],
    })
  })

  it('rejects an unknown flag', () => {
    expect(loadConfig(HOME, ['run', '--max-job', '3'])).toMatchObject({ ok: false })
  })
})

describe('Redactor', () => {
  const r = new Redactor(['s3cr3t-value', 'p"w'])

  it('replaces a known secret wherever it appears', () => {
    expect(r.redact('a s3cr3t-value b s3cr3t-value')).toBe('a [REDACTED] b [REDACTED]')
  })

  it('replaces a known secret in its JSON-escaped and URL-encoded forms', () => {
    expect(r.redact('{"x":"p\\"w"} ?q=p%22w')).toBe('{"x":"[REDACTED]"} ?q=[REDACTED]')
  })

  it('masks a Proxmox token header whose secret it does not know', () => {
    expect(new Redactor().redact('Authorization: PVEAPIToken=root@pam!ci=1234-abcd rest')).toBe(
      'Authorization: PVEAPIToken=root@pam!ci=[REDACTED] rest',
    )
  })

  it('masks password= and rcon_password: assignments', () => {
    expect(new Redactor().redact('password=hunter2 rcon_password: xyz ok')).toBe(
      'password=[REDACTED] rcon_password: [REDACTED] ok',
    )
  })

  it('leaves ordinary lines alone', () => {
    const line = 'TASK [minecraft : Install Java 21] changed: [127.0.10.20]'
    expect(r.redact(line)).toBe(line)
  })
})

describe('Backoff', () => {
  it('never shrinks between failures and stays under the cap', () => {
    for (const random of [() => 0, () => 0.999, Math.random]) {
      const b = new Backoff(100, 3_000, random)
      const delays = Array.from({ length: 10 }, () => b.next())
      expect(delays.slice(0, 5)).toEqual([...delays.slice(0, 5)].sort((x, y) => x - y))
      expect(Math.max(...delays)).toBeLessThanOrEqual(3_000)
    }
  })

  it('starts again from the base after a reset', () => {
    const b = new Backoff(100, 3_000, () => 0.999)
    for (let i = 0; i < 6; i++) b.next()
    b.reset()
    expect(b.next()).toBeLessThanOrEqual(100)
  })
})

describe('LogOutbox', () => {
  function outbox(spoolPath: string, batchLines = 3) {
    const sent: LogLine[][] = []
    const box = new LogOutbox({
      spoolPath,
      flushMs: 60_000,
      batchLines,
      send: (lines) => (sent.push(lines), true),
      bufferedAmount: () => 0,
    })
    return { box, sent }
  }

  it('sends batches of at most batchLines lines, numbered from 1', () => {
    const { box, sent } = outbox(join(dir(), 'a.jsonl'))
    box.connected(0)
    for (let i = 0; i < 7; i++) box.append(`line ${i}`, 'stdout', 'clone')
    box.flush()
    expect(sent.map((b) => b.map((l) => l.seq))).toEqual([[1, 2, 3], [4, 5, 6], [7]])
  })

  it('splits multi-line text into one numbered line each', () => {
    const { box, sent } = outbox(join(dir(), 'a.jsonl'), 10)
    box.connected(0)
    box.append('one\ntwo\r\nthree\n', 'stderr', undefined)
    box.flush()
    expect(sent[0]?.map((l) => [l.seq, l.text])).toEqual([
      [1, 'one'],
      [2, 'two'],
      [3, 'three'],
    ])
  })

  it('resends only the lines after the acked seq on reconnect', () => {
    const { box, sent } = outbox(join(dir(), 'a.jsonl'), 10)
    box.connected(0)
    for (let i = 0; i < 5; i++) box.append(`l${i}`, 'stdout', undefined)
    box.flush()
    box.ack(2)
    box.disconnected()
    sent.length = 0
    box.connected(3)
    expect(sent.flat().map((l) => l.seq)).toEqual([4, 5])
  })

  it('reloads its spool and continues the seq after the last spooled line', () => {
    const path = join(dir(), 'a.jsonl')
    const first = outbox(path)
    for (let i = 0; i < 4; i++) first.box.append(`l${i}`, 'stdout', undefined)
    first.box.close()
    const second = outbox(path, 10)
    second.box.append('after restart', 'stdout', undefined)
    second.box.connected(2)
    expect(second.sent.flat().map((l) => [l.seq, l.text])).toEqual([
      [3, 'l2'],
      [4, 'l3'],
      [5, 'after restart'],
    ])
  })

  it('drops a torn last spool line and keeps appending cleanly', () => {
    const path = join(dir(), 'a.jsonl')
    const first = outbox(path)
    first.box.append('whole', 'stdout', undefined)
    first.box.close()
    writeFileSync(path, `${readFileSync(path, 'utf8')}{"seq":2,"ts":1,"str`)
    const second = outbox(path, 10)
    second.box.append('next', 'stdout', undefined)
    second.box.close()
    const third = outbox(path, 10)
    third.box.connected(0)
    expect(third.sent.flat().map((l) => [l.seq, l.text])).toEqual([
      [1, 'whole'],
      [2, 'next'],
    ])
  })

  it('never reuses a seq the server already holds from another runner', () => {
    const path = join(dir(), 'a.jsonl')
    const first = outbox(path, 10)
    for (let i = 0; i < 3; i++) first.box.append(`old ${i}`, 'stdout', undefined)
    first.box.close()
    const second = outbox(path, 10)
    second.box.connected(10)
    second.box.append('mine', 'stdout', undefined)
    second.box.flush()
    second.box.close()
    expect(second.sent.flat().map((l) => [l.seq, l.text])).toEqual([[11, 'mine']])
    const third = outbox(path, 10)
    third.box.connected(10)
    expect(third.sent.flat().map((l) => [l.seq, l.text])).toEqual([[11, 'mine']])
  })

  it('removes its spool when asked', () => {
    const path = join(dir(), 'a.jsonl')
    const { box } = outbox(path)
    box.append('x', 'stdout', undefined)
    box.remove()
    expect(existsSync(path)).toBe(false)
  })
})

describe('ensureSshKeyPair', () => {
  it('writes a 0600 OpenSSH private key that ssh-keygen reads back to the same public key', () => {
    const d = dir()
    const pair = ensureSshKeyPair(d, 'pgd-runner@lab')
    expect(statSync(pair.privateKeyPath).mode & 0o777).toBe(0o600)
    expect(pair.publicKey).toMatch(/^ssh-ed25519 \S+ pgd-runner@lab$/)
    if (existsSync('/usr/bin/ssh-keygen')) {
      const derived = execFileSync('/usr/bin/ssh-keygen', ['-y', '-f', pair.privateKeyPath])
        .toString()
        .trim()
      expect(derived.split(' ').slice(0, 2)).toEqual(pair.publicKey.split(' ').slice(0, 2))
    }
  })

  it('keeps the same key pair on the next start', () => {
    const d = dir()
    expect(ensureSshKeyPair(d, 'a').publicKey).toBe(ensureSshKeyPair(d, 'a').publicKey)
  })
})

describe('LogOutbox batch size', () => {
  it('keeps a batch of long lines under the websocket message budget', () => {
    const sent: LogLine[][] = []
    const box = new LogOutbox({
      spoolPath: join(dir(), 'b.jsonl'),
      flushMs: 60_000,
      batchLines: 500,
      send: (lines) => (sent.push(lines), true),
      bufferedAmount: () => 0,
    })
    box.connected(0)
    for (let i = 0; i < 100; i++) box.append('x'.repeat(16_000), 'stdout', undefined)
    box.flush()
    expect(sent.length).toBeGreaterThan(1)
    for (const batch of sent) expect(JSON.stringify(batch).length).toBeLessThan(1024 * 1024)
    expect(sent.flat().map((l) => l.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
  })
})
