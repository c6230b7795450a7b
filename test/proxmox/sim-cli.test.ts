import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { ProxmoxClient } from '../../runner/src/proxmox/client'
import { FAST } from './helpers'

const Banner = z.object({
  url: z.string(),
  node: z.string(),
  tokenId: z.string(),
  tokenSecret: z.string(),
  fingerprint: z.string().nullable(),
})

/** The simulator's CLI, as `npm run demo` starts it. */
describe('the simulator CLI', () => {
  let child: ChildProcess | null = null
  afterEach(async () => {
    const proc = child
    child = null
    if (!proc?.pid || proc.exitCode !== null) return
    // npx → tsx → node: signal the whole process group, then wait (bounded) for the exit.
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
    process.kill(-proc.pid, 'SIGTERM')
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))])
    if (proc.exitCode === null && proc.signalCode === null) process.kill(-proc.pid, 'SIGKILL')
  })

  function startCli(args: string[]): Promise<z.infer<typeof Banner>> {
    const proc = spawn('npx', ['tsx', 'tools/sim.ts', '--port', '0', ...args], {
      stdio: ['ignore', 'pipe', 'ignore'],
      detached: true,
    })
    child = proc
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the simulator CLI printed nothing in 20 s')),
        20_000,
      )
      createInterface({ input: proc.stdout! }).once('line', (line) => {
        clearTimeout(timer)
        resolve(Banner.parse(JSON.parse(line)))
      })
      proc.once('exit', (code) => reject(new Error(`the simulator CLI exited with ${code}`)))
    })
  }

  it('prints a URL, token and fingerprint a pinned client can use', async () => {
    const info = await startCli(['--secret', 'demo-secret'])
    const client = new ProxmoxClient(
      {
        apiUrl: info.url,
        node: info.node,
        tokenId: info.tokenId,
        tokenSecret: info.tokenSecret,
        tls: { mode: 'fingerprint', fingerprint: info.fingerprint ?? '' },
        templateVmid: 9000,
        storage: 'local-lvm',
        backupStorage: 'local',
        pool: '',
        bridge: 'vmbr0',
        vlan: null,
        gateway: '127.77.0.1',
        dnsServers: ['127.77.0.1'],
        searchDomain: '',
        ipPool: { cidr: '127.77.0.0/16', rangeStart: '127.77.0.2', rangeEnd: '127.77.0.250' },
        ciUser: 'debian',
        sshPort: 2222,
      },
      FAST,
    )
    try {
      expect(info.tokenSecret).toBe('demo-secret')
      expect(await client.call('GET', '/version')).toMatchObject({ version: '9.1.3' })
    } finally {
      client.close()
    }
  })
})
