import { createSocket } from 'node:dgram'
import type { Socket } from 'node:dgram'
import { afterEach, describe, expect, it } from 'vitest'
import { runHealthCheck } from '../../runner/src/games/health-check'
import { startFakeSlpServer } from './slp-server'

const STATUS = {
  version: { name: '1.21.5', protocol: 770 },
  players: { max: 8, online: 0 },
  description: { text: '', extra: [{ text: 'Hello', color: 'gold' }, { text: ' friends' }] },
}

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()))
})

async function slpServer() {
  const server = await startFakeSlpServer({ status: STATUS })
  cleanups.push(server.close)
  return server.port
}

async function udpServer(answer: boolean): Promise<number> {
  const socket: Socket = createSocket('udp4')
  socket.on('message', (msg, rinfo) => {
    if (answer) socket.send(msg, rinfo.port, rinfo.address)
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())))
  return socket.address().port
}

describe('game health checks', () => {
  it('passes a Minecraft server whose MOTD matches once formatting codes are set aside', async () => {
    const port = await slpServer()
    const result = await runHealthCheck(
      {
        kind: 'minecraft-slp',
        port,
        expect: { motd: '§6Hello§r friends', maxPlayers: 8 },
        timeoutMs: 2000,
      },
      '127.0.0.1',
    )
    expect(result.ok).toBe(true)
  })

  it('fails a Minecraft server announcing another MOTD, saying what it announced', async () => {
    const port = await slpServer()
    const result = await runHealthCheck(
      { kind: 'minecraft-slp', port, expect: { motd: 'My server' }, timeoutMs: 2000 },
      '127.0.0.1',
    )
    expect(result).toEqual({
      ok: false,
      kind: 'minecraft-slp',
      error: 'the server answers with MOTD "Hello friends", not the configured "My server"',
      mismatch: true,
    })
  })

  it('fails a Minecraft server with another player limit', async () => {
    const port = await slpServer()
    const result = await runHealthCheck(
      { kind: 'minecraft-slp', port, expect: { maxPlayers: 20 }, timeoutMs: 2000 },
      '127.0.0.1',
    )
    expect(result).toMatchObject({
      ok: false,
      error: 'the server allows 8 players, not the configured 20',
    })
  })

  it('passes a TCP check when the port accepts a connection', async () => {
    const port = await slpServer()
    expect((await runHealthCheck({ kind: 'tcp', port, timeoutMs: 2000 }, '127.0.0.1')).ok).toBe(
      true,
    )
  })

  it('passes a UDP check when the game answers the datagram', async () => {
    const port = await udpServer(true)
    const result = await runHealthCheck(
      { kind: 'udp', port, payloadHex: 'ffffffff54', timeoutMs: 2000 },
      '127.0.0.1',
    )
    expect(result.ok).toBe(true)
  })

  it('fails a UDP check when nothing answers in time', async () => {
    const port = await udpServer(false)
    const result = await runHealthCheck(
      { kind: 'udp', port, payloadHex: 'ff', timeoutMs: 200 },
      '127.0.0.1',
    )
    expect(result).toEqual({
      ok: false,
      kind: 'udp',
      error: `no UDP answer from 127.0.0.1:${port} within 200 ms`,
    })
  })
})
