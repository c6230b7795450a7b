import { createSocket } from 'node:dgram'
import type { Socket } from 'node:dgram'
import { afterEach, describe, expect, it } from 'vitest'
import { ValheimConfig, valheim } from '../../core/games/valheim'
import type { HealthCheck } from '../../core/games/types'
import { A2S_INFO_REQUEST, parseA2sInfo } from '../../runner/src/games/a2s'
import { runHealthCheck } from '../../runner/src/games/health-check'
import {
  a2sInfoReply,
  closeQuietly,
  listenValheimQuery,
  simulatedValheim,
} from '../pve-sim/game-responder'

/**
 * The runner's `steam-a2s` health check, as the Valheim module configures it, against a local
 * responder speaking Steam's A2S protocol on 127.0.0.1 (test/pve-sim/game-responder.ts).
 */

const sockets: Socket[] = []
afterEach(async () => {
  await Promise.all(sockets.splice(0).map(closeQuietly))
})

async function valheimServer(options: { challenge?: boolean } = {}): Promise<number> {
  const errors: Error[] = []
  const socket = listenValheimQuery(
    '127.0.0.1',
    0,
    simulatedValheim('Odin', 2456),
    (err) => errors.push(err),
    options,
  )
  sockets.push(socket)
  await new Promise<void>((resolve) => socket.once('listening', resolve))
  return socket.address().port
}

/** A bound UDP port where nothing ever answers. */
async function silentPort(): Promise<number> {
  const socket = createSocket('udp4')
  sockets.push(socket)
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  return socket.address().port
}

/** The module's check for a server named Odin, pointed at `port` with a short timeout. */
function checkOn(port: number): HealthCheck {
  const check = valheim.healthCheck(
    ValheimConfig.parse({ serverName: 'Odin', password: 'hunter22' }),
  )
  return { ...check, port, timeoutMs: 1000 }
}

/** One datagram to 127.0.0.1:`port`, resolving with the answer. */
async function ask(port: number, payload: Buffer): Promise<Buffer> {
  const socket = createSocket('udp4')
  sockets.push(socket)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer within 1000 ms')), 1000)
    socket.once('message', (msg) => {
      clearTimeout(timer)
      resolve(msg)
    })
    socket.send(payload, port, '127.0.0.1')
  })
}

describe('the Valheim health check (Steam A2S_INFO)', () => {
  it('follows the challenge Steam servers answer first, and reads name, version and players', async () => {
    const result = await runHealthCheck(checkOn(await valheimServer()), '127.0.0.1')
    expect(result).toMatchObject({
      ok: true,
      kind: 'steam-a2s',
      info: {
        name: 'Odin',
        game: 'Valheim',
        version: '0.220.5 (simulated)',
        players: 0,
        maxPlayers: 10,
      },
    })
  })

  it('reads a server that answers the info straight away, as servers did before 2020', async () => {
    const result = await runHealthCheck(
      checkOn(await valheimServer({ challenge: false })),
      '127.0.0.1',
    )
    expect(result).toMatchObject({ ok: true, kind: 'steam-a2s', info: { name: 'Odin' } })
  })

  it('refuses another server on the port, saying what answered', async () => {
    const port = await valheimServer()
    const check: HealthCheck = {
      kind: 'steam-a2s',
      port,
      expect: { name: 'Asgard' },
      timeoutMs: 1000,
    }
    expect(await runHealthCheck(check, '127.0.0.1')).toEqual({
      ok: false,
      kind: 'steam-a2s',
      error: 'the server answers as "Odin", not the configured "Asgard"',
      mismatch: true,
    })
  })

  it('fails when nothing answers on the query port, naming the address and the wait', async () => {
    const port = await silentPort()
    expect(await runHealthCheck(checkOn(port), '127.0.0.1')).toEqual({
      ok: false,
      kind: 'steam-a2s',
      error: `no A2S_INFO answer from 127.0.0.1:${port}/udp within 1000 ms`,
    })
  })

  it('reads only the server’s replies, not a faster one forged by another sender', async () => {
    const server = createSocket('udp4')
    const impostor = createSocket('udp4')
    sockets.push(server, impostor)
    await Promise.all(
      [server, impostor].map(
        (s) => new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve)),
      ),
    )
    // Another host on the network races the server with a reply of its own, sent to the
    // checker's address and port, a moment before the server's answer.
    server.on('message', (_msg, rinfo) => {
      impostor.send(a2sInfoReply(simulatedValheim('Odin', 2456)), rinfo.port, rinfo.address)
      const real = { ...simulatedValheim('Odin', 2456), version: '0.220.5 (the real one)' }
      setTimeout(() => server.send(a2sInfoReply(real), rinfo.port, rinfo.address), 100)
    })
    const result = await runHealthCheck(checkOn(server.address().port), '127.0.0.1')
    expect(result).toMatchObject({ ok: true, info: { version: '0.220.5 (the real one)' } })
  })

  it('says so at once when the query port is unreachable', async () => {
    const port = await silentPort()
    await closeQuietly(sockets.pop() as Socket)
    const started = Date.now()
    expect(await runHealthCheck(checkOn(port), '127.0.0.1')).toEqual({
      ok: false,
      kind: 'steam-a2s',
      error: `nothing answers on 127.0.0.1:${port}/udp (port unreachable)`,
    })
    expect(Date.now() - started).toBeLessThan(900)
  })

  it('says what is wrong with a reply that is not an A2S_INFO answer', async () => {
    const socket = createSocket('udp4')
    sockets.push(socket)
    socket.on('message', (_msg, rinfo) =>
      socket.send(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x49, 17, 0x4f]), rinfo.port, rinfo.address),
    )
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
    const result = await runHealthCheck(checkOn(socket.address().port), '127.0.0.1')
    expect(result).toEqual({
      ok: false,
      kind: 'steam-a2s',
      error: 'A2S_INFO reply cut short in the name',
    })
    expect(() => parseA2sInfo(Buffer.from('hello'))).toThrow('not a Steam query reply')
  })

  it('sends exactly the A2S_INFO bytes Valve documents', () => {
    expect(A2S_INFO_REQUEST).toEqual(
      Buffer.concat([
        Buffer.from([0xff, 0xff, 0xff, 0xff, 0x54]),
        Buffer.from('Source Engine Query\0', 'latin1'),
      ]),
    )
  })
})

describe('the simulated Valheim query port', () => {
  it('answers the challenge, then the info naming the server, its game and its port', async () => {
    const port = await valheimServer()
    const request = A2S_INFO_REQUEST
    const challenge = await ask(port, request)
    expect(challenge.subarray(0, 5)).toEqual(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x41]))
    expect(challenge).toHaveLength(9)

    const info = await ask(port, Buffer.concat([request, challenge.subarray(5)]))
    expect(info.subarray(0, 6)).toEqual(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x49, 17]))
    const strings = info.subarray(6).toString('latin1').split('\0')
    expect(strings.slice(0, 4)).toEqual(['Odin', 'Dedicated', 'valheim', 'Valheim'])
    // Extra data: the game port (little-endian) then the 64-bit game id, Valheim's app id.
    expect([info.readUInt16LE(info.length - 10), info.readBigUInt64LE(info.length - 8)]).toEqual([
      2456,
      892_970n,
    ])
  })
})
