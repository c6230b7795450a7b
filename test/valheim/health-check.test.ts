import { createSocket } from 'node:dgram'
import type { Socket } from 'node:dgram'
import { afterEach, describe, expect, it } from 'vitest'
import { ValheimConfig, valheim } from '../../core/games/valheim'
import type { HealthCheck } from '../../core/games/types'
import { runHealthCheck } from '../../runner/src/games/health-check'
import { closeQuietly, listenValheimQuery, simulatedValheim } from '../pve-sim/game-responder'

/**
 * The runner's generic `udp` health check, as the Valheim module configures it, against a local
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

/** The module's check (a `udp` one), as configured for a default config. */
function moduleCheck(): Extract<HealthCheck, { kind: 'udp' }> {
  const check = valheim.healthCheck(ValheimConfig.parse({ password: 'hunter22' }))
  if (check.kind !== 'udp') throw new Error(`expected a udp check, got ${check.kind}`)
  return check
}

/** The module's check, pointed at `port` with a short timeout. */
function checkOn(port: number): HealthCheck {
  return { ...moduleCheck(), port, timeoutMs: 1000 }
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

describe('the Valheim health check', () => {
  it('passes a server that answers A2S_INFO with a challenge first, as Steam servers do', async () => {
    const result = await runHealthCheck(checkOn(await valheimServer()), '127.0.0.1')
    expect(result).toMatchObject({ ok: true, kind: 'udp' })
  })

  it('passes a server that answers A2S_INFO with the info straight away', async () => {
    const result = await runHealthCheck(
      checkOn(await valheimServer({ challenge: false })),
      '127.0.0.1',
    )
    expect(result).toMatchObject({ ok: true, kind: 'udp' })
  })

  it('fails when nothing answers on the query port, naming the address and the wait', async () => {
    const port = await silentPort()
    const result = await runHealthCheck(checkOn(port), '127.0.0.1')
    expect(result).toEqual({
      ok: false,
      kind: 'udp',
      error: `no UDP answer from 127.0.0.1:${port} within 1000 ms`,
    })
  })

  it('gets no answer from an A2S server with a payload that is not A2S_INFO', async () => {
    const port = await valheimServer()
    const result = await runHealthCheck(
      { ...moduleCheck(), port, timeoutMs: 1000, payloadHex: 'ffffffff55' },
      '127.0.0.1',
    )
    expect(result.ok).toBe(false)
  })
})

describe('the simulated Valheim query port', () => {
  it('answers the challenge, then the info naming the server, its game and its port', async () => {
    const port = await valheimServer()
    const request = Buffer.from(moduleCheck().payloadHex, 'hex')
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
