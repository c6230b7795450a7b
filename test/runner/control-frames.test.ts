import { describe, expect, it } from 'vitest'
import { ServerToRunner, parseFrame } from '../../core/protocol'
import { parseServerFrame, welcomeFrame } from '../../runner/src/net/control-frames'

/**
 * The control socket's `welcome` is checked by hand so an idle runner does not load zod.
 * These tests hold the hand check to the `ServerToRunner` schema: whatever it accepts, the schema
 * accepts with the same value, and whatever it refuses goes to the schema for its verdict.
 */

const WELCOME = { v: 1, type: 'welcome', runnerId: 'r-1', heartbeatIntervalMs: 10_000 }

const VARIANTS: unknown[] = [
  WELCOME,
  { ...WELCOME, extra: 'dropped' },
  { ...WELCOME, runnerId: '' },
  { ...WELCOME, v: 2 },
  { ...WELCOME, v: '1' },
  { ...WELCOME, runnerId: 7 },
  { ...WELCOME, runnerId: undefined },
  { ...WELCOME, heartbeatIntervalMs: 0 },
  { ...WELCOME, heartbeatIntervalMs: -5 },
  { ...WELCOME, heartbeatIntervalMs: 1.5 },
  { ...WELCOME, heartbeatIntervalMs: '10000' },
  { ...WELCOME, heartbeatIntervalMs: 2 ** 53 },
  { ...WELCOME, heartbeatIntervalMs: undefined },
  { ...WELCOME, type: 'Welcome' },
  { v: 1, type: 'job.cancel', jobId: 'welcome' },
  [WELCOME],
  null,
  'welcome',
]

describe('the hand-checked welcome frame', () => {
  it('accepts exactly what the schema accepts, with the same value', () => {
    for (const variant of VARIANTS) {
      const text = JSON.stringify(variant)
      const zod = parseFrame(ServerToRunner, text)
      const hand = welcomeFrame(text)
      if (hand) expect(zod, text).toEqual({ ok: true, frame: hand })
      else expect(zod.ok && zod.frame.type === 'welcome', text).toBe(false)
    }
  })

  it('answers a welcome without loading the schemas', () => {
    const parsed = parseServerFrame(JSON.stringify(WELCOME))
    expect(parsed).toEqual({ ok: true, frame: WELCOME })
  })

  it('gives the schema its say on other frames, and its error on bad ones', async () => {
    await expect(
      parseServerFrame(JSON.stringify({ v: 1, type: 'job.cancel', jobId: 'j-1' })),
    ).resolves.toEqual({ ok: true, frame: { v: 1, type: 'job.cancel', jobId: 'j-1' } })
    await expect(
      parseServerFrame(JSON.stringify({ ...WELCOME, heartbeatIntervalMs: -1 })),
    ).resolves.toMatchObject({ ok: false, error: expect.stringMatching(/heartbeatIntervalMs/) })
    await expect(parseServerFrame('{not json')).resolves.toEqual({
      ok: false,
      error: 'frame is not valid JSON',
    })
  })
})

describe('the watch frame', () => {
  const proxmox = {
    apiUrl: 'https://127.0.0.1:8006',
    node: 'pve',
    tokenId: 'bench@pve!pgd',
    tokenSecret: 'watch000-1111-2222-3333-444455556666',
    tls: { mode: 'insecure' },
    templateVmid: 9000,
    storage: 'local-lvm',
    bridge: 'vmbr0',
    vlan: null,
    gateway: '127.79.0.1',
    dnsServers: ['127.79.0.1'],
    ipPool: { cidr: '127.79.0.0/16', rangeStart: '127.79.0.10', rangeEnd: '127.79.3.250' },
    ciUser: 'debian',
  }
  const target = {
    deploymentId: 'd-1',
    vmid: 101,
    ipAddress: '127.79.0.10',
    game: 'minecraft',
    check: { kind: 'minecraft-slp', port: 25_565, expect: {}, timeoutMs: 5_000 },
  }
  const WATCH = {
    v: 1,
    type: 'watch',
    proxmox,
    statusIntervalMs: 30_000,
    sweepIntervalMs: 0,
    targets: [target],
  }

  it('reads a watch list as the whole protocol schema does', async () => {
    for (const variant of [WATCH, { ...WATCH, proxmox: null, targets: [] }]) {
      const text = JSON.stringify(variant)
      const full = parseFrame(ServerToRunner, text)
      expect(full.ok, text).toBe(true)
      await expect(parseServerFrame(text)).resolves.toEqual(full)
    }
  })

  it('refuses a bad one with the schema error naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ ...WATCH, targets: [{ ...target, vmid: -1 }] }, /targets\.0\.vmid/],
      [{ ...WATCH, targets: [{ ...target, check: { kind: 'telnet' } }] }, /targets\.0\.check/],
      [{ ...WATCH, proxmox: null }, /proxmox: a watch list or a sweep comes with/],
    ]
    for (const [frame, error] of cases)
      await expect(parseServerFrame(JSON.stringify(frame))).resolves.toMatchObject({
        ok: false,
        error: expect.stringMatching(error),
      })
  })
})
