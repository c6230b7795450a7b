import type net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { Checkpoint } from '../../core/protocol'
import { createRealExecutors } from '../../runner/src/executors/real'
import type { StepContext } from '../../runner/src/executors/types'
import { makeJob } from '../runner/harness'
import { listenMinecraft, type SlpAnswer } from '../pve-sim/game-responder'

/**
 * The verify step of a deploy, with the runner's real executors, against a Minecraft server on
 * 127.0.0.1 that answers the Server List Ping: it must pass only when the server is the one
 * configured (release and edition, MOTD, slots), and otherwise name what answered and what was
 * asked.
 */

const servers: net.Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

async function serve(answer: SlpAnswer): Promise<number> {
  const server = listenMinecraft('127.0.0.1', 0, answer, () => {})
  servers.push(server)
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  return address.port
}

const executors = createRealExecutors({
  ansibleDir: '/nonexistent',
  provisioner: 'ansible',
  runnerAddress: null,
  verifyTimeoutMs: 300,
})

/** Runs verify for a deployment configured with `config`, its checkpoint `checkpoint`. */
async function verify(
  port: number,
  config: Record<string, unknown>,
  checkpoint: Partial<Checkpoint> = {},
) {
  const job = makeJob('verify-1', {})
  const lines: string[] = []
  const ctx: StepContext = {
    job: {
      ...job,
      spec: {
        ...job.spec,
        ipAddress: '127.0.0.1',
        gameConfig: { eula: true, serverPort: port, ...config },
      },
    },
    checkpoint: { upids: {}, doneSteps: [], ...checkpoint },
    sshPublicKey: '',
    sshPrivateKeyPath: '',
    stateDir: '/nonexistent',
    log: (text) => lines.push(text),
    signal: new AbortController().signal,
  }
  return executors.runStep('verify', ctx)
}

const PAPER_1_21_4: SlpAnswer = { version: 'Paper 1.21.4', motd: 'Friends only', maxPlayers: 8 }

describe('verify', () => {
  it('passes when the server answers as configured, and reports what it saw', async () => {
    const port = await serve(PAPER_1_21_4)
    const res = await verify(port, {
      edition: 'paper',
      version: '1.21.4',
      motd: 'Friends only',
      maxPlayers: 8,
    })
    expect(res.result).toMatchObject({
      address: `127.0.0.1:${port}`,
      version: 'Paper 1.21.4',
      motd: 'Friends only',
      players: { online: 0, max: 8 },
    })
  })

  it('fails naming both versions when another release answers', async () => {
    const port = await serve({ ...PAPER_1_21_4, version: 'Paper 1.21.5' })
    await expect(
      verify(port, { edition: 'paper', version: '1.21.4', motd: 'Friends only', maxPlayers: 8 }),
    ).rejects.toThrow(
      `verify: the server on 127.0.0.1:${port} is not configured as asked: the server answers as version "Paper 1.21.5", not the configured Paper 1.21.4`,
    )
  })

  it('checks `latest` against the release provisioning installed', async () => {
    const port = await serve({ version: '1.21.10', motd: 'A Minecraft Server', maxPlayers: 20 })
    const config = { edition: 'vanilla', version: 'latest' }
    await expect(verify(port, config, { gameVersion: '1.21.10' })).resolves.toBeDefined()
    await expect(verify(port, config, { gameVersion: '1.21.9' })).rejects.toThrow(
      'the server answers as version "1.21.10", not the configured 1.21.9',
    )
  })

  it('does not take a vanilla server for Paper, nor 1.21.40 for 1.21.4', async () => {
    const vanilla = await serve({ ...PAPER_1_21_4, version: '1.21.4' })
    await expect(
      verify(vanilla, { edition: 'paper', version: '1.21.4', motd: 'Friends only', maxPlayers: 8 }),
    ).rejects.toThrow('the server answers as version "1.21.4", not the configured Paper 1.21.4')
    const later = await serve({ ...PAPER_1_21_4, version: 'Paper 1.21.40' })
    await expect(
      verify(later, { edition: 'paper', version: '1.21.4', motd: 'Friends only', maxPlayers: 8 }),
    ).rejects.toThrow('"Paper 1.21.40", not the configured Paper 1.21.4')
  })

  it('fails naming both values when the slots differ', async () => {
    const port = await serve({ ...PAPER_1_21_4, maxPlayers: 20 })
    await expect(
      verify(port, { edition: 'paper', version: '1.21.4', motd: 'Friends only', maxPlayers: 8 }),
    ).rejects.toThrow('the server allows 20 players, not the configured 8')
  })

  it('fails naming both values when the MOTD differs', async () => {
    const port = await serve({ ...PAPER_1_21_4, motd: 'A Minecraft Server' })
    await expect(
      verify(port, { edition: 'paper', version: '1.21.4', motd: 'Friends only', maxPlayers: 8 }),
    ).rejects.toThrow(
      'the server answers with MOTD "A Minecraft Server", not the configured "Friends only"',
    )
  })

  it('says the game does not answer when nothing listens', async () => {
    const port = await serve(PAPER_1_21_4)
    await new Promise((r) => servers.pop()?.close(r))
    await expect(verify(port, { edition: 'paper', version: '1.21.4' })).rejects.toThrow(
      `verify: the game does not answer on 127.0.0.1:${port}`,
    )
  })
})
