import { describe, expect, it } from 'vitest'
import { call, json, setupAdmin } from './helpers'
import {
  configureProxmox,
  MINECRAFT,
  roomyNode,
  runnerCapacity,
  useSockets,
  withRunner as withRunnerOf,
} from './engine-helpers'

const track = useSockets()
const withRunner = () => withRunnerOf(track)

interface CapacityBody {
  capacity: {
    known: boolean
    reason?: string
    runner: string | null
    message?: string
    capacity?: { memory: { free: number } }
  }
}

const readCapacity = async (cookie: string) =>
  json<CapacityBody>(await call('GET', '/api/capacity', { cookie }))

const create = (cookie: string, config: Record<string, unknown> = {}) =>
  call('POST', '/api/deployments', {
    cookie,
    body: { name: 'big', game: 'minecraft', config: { ...MINECRAFT, ...config } },
  })

describe('capacity before a deploy', () => {
  it('reads the figures from an online runner, and reuses them for a few seconds', async () => {
    const { cookie } = await withRunner()
    runnerCapacity.answer = { capacity: roomyNode(3_120) }
    const first = await readCapacity(cookie)
    expect(first.capacity).toMatchObject({
      known: true,
      runner: 'runner-1',
      capacity: { node: 'pve', memory: { free: 3_120 * 1024 ** 2 } },
    })
    // Typing in the form asks again and again: the runner is asked once.
    for (let i = 0; i < 5; i++) await readCapacity(cookie)
    expect(runnerCapacity.asked).toBe(1)
  })

  it('refuses a VM that does not fit, with the numbers, and creates nothing', async () => {
    const { cookie } = await withRunner()
    runnerCapacity.answer = { capacity: roomyNode(3_120, 12) }
    const res = await create(cookie, { memoryMb: 8_192, diskGb: 16 })
    expect(res.status).toBe(409)
    const body = await json<{ error: { code: string; message: string; details: unknown } }>(res)
    expect(body.error.code).toBe('insufficient_capacity')
    expect(body.error.message).toBe(
      'This VM needs 8,192 MiB of memory; node pve has 3,120 MiB free. ' +
        'This VM needs 16 GiB of disk; storage local-lvm has 12 GiB free.',
    )
    expect(body.error.details).toEqual({
      shortfalls: [
        { kind: 'memory', node: 'pve', needMiB: 8_192, freeMiB: 3_120 },
        { kind: 'disk', storage: 'local-lvm', needGiB: 16, freeGiB: 12 },
      ],
    })
    const list = await json<{ deployments: unknown[] }>(
      await call('GET', '/api/deployments', { cookie }),
    )
    expect(list.deployments).toHaveLength(0)
    // One that fits goes through on the same figures.
    expect((await create(cookie, { memoryMb: 2_048, diskGb: 8 })).status).toBe(201)
  })

  it('says why it is unknown without a runner, and does not block the deploy', async () => {
    const cookie = await setupAdmin()
    await configureProxmox(cookie)
    expect((await readCapacity(cookie)).capacity).toMatchObject({
      known: false,
      reason: 'no_runner',
      runner: null,
    })
    expect((await create(cookie, { memoryMb: 65_536 })).status).toBe(201)
  })

  it('passes on the runner’s error (e.g. a missing privilege) and does not block', async () => {
    const { cookie } = await withRunner()
    runnerCapacity.answer = {
      capacity: null,
      error: 'Permission check failed (/nodes/pve, Sys.Audit)',
    }
    expect((await readCapacity(cookie)).capacity).toMatchObject({
      known: false,
      reason: 'runner_error',
      runner: 'runner-1',
      message: 'Permission check failed (/nodes/pve, Sys.Audit)',
    })
    expect((await create(cookie)).status).toBe(201)
  })

  it('gives up on a silent runner after a few seconds, and does not block', async () => {
    const { cookie } = await withRunner()
    runnerCapacity.answer = null
    const started = Date.now()
    expect((await create(cookie, { memoryMb: 65_536 })).status).toBe(201)
    expect(Date.now() - started).toBeLessThan(9_000)
    expect((await readCapacity(cookie)).capacity).toMatchObject({
      known: false,
      reason: 'timeout',
      message: 'The runner runner-1 did not answer within 5 s.',
    })
  }, 15_000)

  it('asks for the Proxmox settings first', async () => {
    const cookie = await setupAdmin()
    expect((await readCapacity(cookie)).capacity).toMatchObject({
      known: false,
      reason: 'not_configured',
    })
  })

  it('is for signed-in admins only', async () => {
    expect((await call('GET', '/api/capacity')).status).toBe(401)
  })
})
