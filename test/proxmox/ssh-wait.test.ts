import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { waitSsh } from '../../runner/src/ssh/wait'
import { BannerBackend } from '../pve-sim/index'
import { deployVm, loopbackIp, specFor, startHarness, type Harness } from './helpers'

const FAST_SSH = { bootMs: 300, bannerMs: 300, connectMs: 100, readMs: 50, retryMs: 10 }

/** The SSH wait, in its two stages (TCP, then banner), against loopback guests only. */
describe('waiting for SSH', () => {
  let h: Harness | null = null
  afterEach(async () => {
    await h?.close()
    h = null
  })

  it('returns the banner once the booted VM’s sshd answers', async () => {
    h = await startHarness({
      backend: new BannerBackend({ bootDelayMs: 100, banner: 'SSH-2.0-OpenSSH_9.6' }),
    })
    const spec = specFor()
    await deployVm(h, spec)
    await expect(
      h.steps.waitSsh(spec.ipAddress, { ...h.ctx, timeouts: { ...FAST_SSH, bootMs: 5_000 } }),
    ).resolves.toBe('SSH-2.0-OpenSSH_9.6')
  })

  it('says the VM has not booted when nothing listens on its address', async () => {
    h = await startHarness({ backend: new BannerBackend({ behaviour: () => 'no-network' }) })
    const spec = specFor()
    await deployVm(h, spec)
    await expect(h.steps.waitSsh(spec.ipAddress, { ...h.ctx, timeouts: FAST_SSH })).rejects.toThrow(
      /^wait SSH: VM has not booted: 127\.77\./,
    )
  })

  it('says the port is open but no SSH banner came when the listener stays silent', async () => {
    h = await startHarness({
      backend: new BannerBackend({ bootDelayMs: 0, behaviour: () => 'silent' }),
    })
    const spec = specFor()
    await deployVm(h, spec)
    await expect(
      h.steps.waitSsh(spec.ipAddress, { ...h.ctx, timeouts: { ...FAST_SSH, bootMs: 5_000 } }),
    ).rejects.toThrow(/^wait SSH: port open but no SSH banner/)
  })

  it('refuses to probe an address outside the deployment pool', async () => {
    h = await startHarness()
    await expect(h.steps.waitSsh('127.0.0.1', { ...h.ctx, timeouts: FAST_SSH })).rejects.toThrow(
      'wait SSH: 127.0.0.1 is outside the IP pool 127.77.0.0/16; not probing it',
    )
  })

  it('reports a service that is not SSH', async () => {
    const ip = loopbackIp()
    const server = net.createServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'))
    await new Promise<void>((r) => server.listen(0, ip, () => r()))
    const port = (server.address() as net.AddressInfo).port
    try {
      await expect(waitSsh(ip, port, { log: () => {}, timeouts: FAST_SSH })).rejects.toThrow(
        /answers but is not SSH/,
      )
    } finally {
      await new Promise<void>((r) => server.close(() => r()))
    }
  })

  it('stops waiting when the deployment is cancelled', async () => {
    const ctrl = new AbortController()
    const wait = waitSsh(loopbackIp(), 1, {
      log: () => {},
      signal: ctrl.signal,
      timeouts: { ...FAST_SSH, bootMs: 60_000 },
    })
    ctrl.abort(new Error('cancelled by user'))
    await expect(wait).rejects.toThrow('cancelled by user')
  })
})
