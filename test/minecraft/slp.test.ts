import { createServer } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeVarInt, encodeVarInt } from '../../runner/src/games/slp-codec'
import { SlpError, pingMinecraft } from '../../runner/src/games/slp'
import { startFakeSlpServer } from './slp-server'
import type { FakeSlpOptions } from './slp-server'

const VANILLA_STATUS = {
  version: { name: '1.21.5', protocol: 770 },
  players: {
    max: 20,
    online: 3,
    sample: [{ name: 'Alex', id: '00000000-0000-0000-0000-000000000001' }],
  },
  description: { text: 'A Minecraft Server' },
  enforcesSecureChat: true,
}

const servers: { close: () => Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

async function serve(options: FakeSlpOptions) {
  const server = await startFakeSlpServer(options)
  servers.push(server)
  return server
}

async function pingError(port: number, timeoutMs = 1_000, signal?: AbortSignal): Promise<SlpError> {
  const err = await pingMinecraft({ host: '127.0.0.1', port, timeoutMs, signal }).then(
    () => null,
    (e: unknown) => e,
  )
  if (!(err instanceof SlpError)) throw new Error(`expected an SlpError, got ${String(err)}`)
  return err
}

describe('Server List Ping client', () => {
  it('returns the version, MOTD and player counts a server announces', async () => {
    const { port } = await serve({ status: VANILLA_STATUS })
    const status = await pingMinecraft({ host: '127.0.0.1', port })
    expect({ ...status, latencyMs: undefined }).toEqual({
      version: '1.21.5',
      protocol: 770,
      motd: 'A Minecraft Server',
      playersOnline: 3,
      playersMax: 20,
      latencyMs: undefined,
    })
  })

  it('measures the latency with the ping exchange', async () => {
    const { port } = await serve({ status: VANILLA_STATUS })
    const { latencyMs } = await pingMinecraft({ host: '127.0.0.1', port })
    expect(latencyMs).toBeGreaterThan(0)
  })

  it('introduces itself with the address and port it dialled and asks for the status state', async () => {
    const server = await serve({ status: VANILLA_STATUS })
    await pingMinecraft({ host: '127.0.0.1', port: server.port })
    expect(server.handshakes).toEqual([
      { protocol: -1, host: '127.0.0.1', port: server.port, nextState: 1 },
    ])
  })

  it('flattens a MOTD given as a text component with extra parts', async () => {
    const description = {
      text: '§aHello',
      extra: [{ text: ' world' }, ' and ', [{ text: 'more' }]],
    }
    const { port } = await serve({ status: { ...VANILLA_STATUS, description } })
    expect((await pingMinecraft({ host: '127.0.0.1', port })).motd).toBe('§aHello world and more')
  })

  it('accepts a MOTD given as a plain string', async () => {
    const { port } = await serve({ status: { ...VANILLA_STATUS, description: 'Plain: ünïcode' } })
    expect((await pingMinecraft({ host: '127.0.0.1', port })).motd).toBe('Plain: ünïcode')
  })

  it('reassembles answers that arrive one byte at a time', async () => {
    const { port } = await serve({ status: VANILLA_STATUS, fragment: true })
    expect((await pingMinecraft({ host: '127.0.0.1', port })).playersMax).toBe(20)
  })

  it('still reports the status when the server closes instead of answering the ping', async () => {
    const { port } = await serve({ status: VANILLA_STATUS, pong: 'close' })
    expect((await pingMinecraft({ host: '127.0.0.1', port })).version).toBe('1.21.5')
  })

  it('gives up after its timeout when the server accepts but never answers', async () => {
    const { port } = await serve({ status: VANILLA_STATUS, pong: 'silent' })
    const err = await pingError(port, 300)
    expect({ code: err.code, message: err.message }).toEqual({
      code: 'timeout',
      message: `no Server List Ping answer from 127.0.0.1:${port} in 300 ms`,
    })
  })

  it('names the address when nothing listens there', async () => {
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const { port } = probe.address() as { port: number }
    await new Promise((resolve) => probe.close(resolve))
    const err = await pingError(port)
    expect({ code: err.code, message: err.message }).toEqual({
      code: 'connect',
      message: `cannot reach 127.0.0.1:${port}: ECONNREFUSED`,
    })
  })

  it('rejects a status that is not JSON', async () => {
    const { port } = await serve({ status: '<html>not minecraft</html>' })
    const err = await pingError(port)
    expect(err.code).toBe('protocol')
  })

  it('rejects a status JSON without a version', async () => {
    const { port } = await serve({ status: { description: 'no version' } })
    const err = await pingError(port)
    expect(err.message).toContain('lacks version')
  })

  it('stops when its abort signal fires', async () => {
    const { port } = await serve({ status: VANILLA_STATUS, pong: 'silent' })
    const err = await pingError(port, 5_000, AbortSignal.timeout(100))
    expect(err.code).toBe('aborted')
  })
})

describe('VarInt codec', () => {
  it('encodes -1 as five bytes, as the protocol wants', () => {
    expect([...encodeVarInt(-1)]).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f])
  })

  it('decodes what it encodes', () => {
    const values = [0, 1, 127, 128, 255, 25_565, 2_097_151, 2_147_483_647, -1]
    expect(values.map((v) => decodeVarInt(encodeVarInt(v))?.value)).toEqual(values)
  })

  it('refuses a VarInt longer than five bytes', () => {
    expect(() => decodeVarInt(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(
      'longer than 5 bytes',
    )
  })
})
