import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import type net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { consoleCommand } from '../../runner/src/console/rcon-command'
import { JournalStream } from '../../runner/src/console/journal'
import { ensureSshKeyPair } from '../../runner/src/ssh/key'
import { BannerBackend, type SimGuest } from '../pve-sim/backend'
import { parseJournalctl } from '../pve-sim/journal'
import { listenRcon, newWorld } from '../pve-sim/rcon-server'

/**
 * The runner's side of the console and the server log against the simulator's guest: RCON
 * answers and failures by kind, and `ssh … journalctl -f` with the runner's key and the pinned
 * host key, streaming until stopped, when the guest's sshd sees its session end.
 */

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until<T>(what: string, test: () => T | undefined | false, ms = 5_000) {
  const deadline = Date.now() + ms
  for (;;) {
    const v = test()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await pause(20)
  }
}

function guest(address: string, authorizedKeys: string[]): SimGuest {
  return {
    vmid: 301,
    name: 'mc-301',
    cores: 1,
    memoryMiB: 1024,
    diskBytes: 1,
    ipv4: { address, prefix: 8, gateway: null },
    ciuser: 'debian',
    sshAuthorizedKeys: authorizedKeys,
    nameservers: [],
    searchDomain: null,
    macaddr: null,
    sshPort: 2322,
    clonedFrom: null,
    cloudInit: { userData: '', networkConfig: '', metaData: '' },
    files: {},
  }
}

describe('console command (RCON)', () => {
  it('answers, and names a refused password and an unreachable console', async () => {
    const world = newWorld()
    const digest = createHash('sha256').update('right-password').digest('hex')
    const logged: string[] = []
    const server: net.Server = listenRcon(
      '127.78.0.5',
      25_581,
      digest,
      world,
      () => {},
      (l) => logged.push(l),
    )
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())))
    await new Promise((r) => server.once('listening', r))
    const target = { host: '127.78.0.5', port: 25_581, password: 'right-password' }
    expect(await consoleCommand(target, 'whitelist add Steve')).toEqual({
      answer: 'Added Steve to the whitelist',
    })
    expect(world.whitelist).toEqual(['Steve'])
    expect(logged).toEqual(['[Server thread/INFO]: [Rcon: Added Steve to the whitelist]'])
    const wrong = await consoleCommand({ ...target, password: 'wrong' }, 'list')
    expect(wrong).toMatchObject({ answer: null, error: { code: 'refused' } })
    expect(JSON.stringify(wrong)).not.toContain('wrong"')
    const closed = await consoleCommand({ ...target, port: 25_582 }, 'list')
    expect(closed).toMatchObject({ answer: null, error: { code: 'unreachable' } })
  })
})

describe('journal stream (ssh journalctl -f)', () => {
  it('streams the last lines then new ones, and the guest sees its session end on stop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgd-console-test-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const key = ensureSshKeyPair(dir, 'runner')
    const backend = new BannerBackend({ bootDelayMs: 5 })
    cleanups.push(() => backend.close())
    await backend.start(guest('127.78.0.9', [key.publicKey]))
    const journal = backend.journalOf(301)
    for (const n of [1, 2, 3]) journal.write('minecraft', `line ${n}`)
    journal.write('sshd', 'not the game')
    await until('the sshd', () => backend.agentRunning(301))

    const got: string[] = []
    let ended: { error?: string } | null = null
    const stream = new JournalStream(
      {
        host: '127.78.0.9',
        port: 2322,
        user: 'debian',
        hostKey: backend.hostKeyOf(301).line,
        unit: 'minecraft',
        lines: 2,
      },
      key.privateKeyPath,
      { lines: (l) => got.push(...l), end: (error) => (ended = { error }) },
    )
    await stream.start()
    await until('the last two lines', () => got.length >= 2)
    expect(got.map((l) => l.replace(/^\S+ /, ''))).toEqual([
      'mc-301 minecraft[1234]: line 2',
      'mc-301 minecraft[1234]: line 3',
    ])
    expect(backend.openExecs(301)).toBe(1)
    journal.write('minecraft', 'Steve joined the game')
    await until('the live line', () => got.some((l) => l.endsWith('Steve joined the game')))
    stream.stop()
    await until('the stream to end', () => ended)
    expect(ended).toEqual({ error: undefined })
    await until('the guest to see the session end', () => backend.openExecs(301) === 0)
  })

  it('fails with ssh’s words when the host key is not the pinned one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgd-console-test-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const key = ensureSshKeyPair(dir, 'runner')
    const backend = new BannerBackend({ bootDelayMs: 5 })
    cleanups.push(() => backend.close())
    await backend.start(guest('127.78.0.10', [key.publicKey]))
    await until('the sshd', () => backend.agentRunning(301))
    const other = new BannerBackend().hostKeyOf(999).line
    let ended: { error?: string } | null = null
    const stream = new JournalStream(
      {
        host: '127.78.0.10',
        port: 2322,
        user: 'debian',
        hostKey: other,
        unit: 'minecraft',
        lines: 5,
      },
      key.privateKeyPath,
      { lines: () => {}, end: (error) => (ended = { error }) },
    )
    await stream.start()
    const result = await until('the stream to fail', () => ended)
    expect(result.error).toMatch(/host key/i)
    expect(backend.openExecs(301)).toBe(0)
  })
})

describe('the simulated journalctl', () => {
  it('takes what the runner sends and refuses anything else', () => {
    expect(
      parseJournalctl('journalctl -u minecraft.service -f -n 200 --no-pager -o short-iso'),
    ).toEqual({
      unit: 'minecraft',
      lines: 200,
      follow: true,
    })
    expect(parseJournalctl('cat /etc/shadow')).toMatchObject({ status: 127 })
    expect(parseJournalctl('journalctl -u minecraft --since yesterday')).toMatchObject({
      status: 1,
    })
    expect(parseJournalctl('journalctl -n 5')).toMatchObject({ status: 1 })
  })
})
