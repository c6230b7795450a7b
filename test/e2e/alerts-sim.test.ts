import type { Server } from 'node:http'
import { afterAll, describe, expect, it } from 'vitest'
import { startReceiver, verify } from './alert-receiver'
import { simProxmox, startRealRunner, useSimScene } from './sim-stack'
import { freePort, waitFor } from './stack'

/**
 * Alerts end to end: wrangler dev (in the simulator's demo mode, the only one where a loopback
 * receiver is accepted) + the bundled runner + the Proxmox simulator, and a real HTTP receiver on
 * 127.0.0.1 that checks every request's signature the way docs/alerts.md tells receivers to.
 */
const scene = useSimScene({
  vars: ['TARGET_MODE:demo', 'ALERT_RETRY_BASE_MS:300', 'ALERT_MAX_ATTEMPTS:3'],
})

const receivers: Server[] = []
afterAll(() => receivers.forEach((r) => r.close()))

describe('alerts against the simulator', () => {
  it('signs a deployment-ready alert, retries it after a 500, and sends a deployment-failed one', async () => {
    const { api, sim, dirs } = scene
    const port = await freePort()
    // The first request is answered 500, to force a retry.
    const r = await startReceiver(port, (n) => (n === 0 ? 500 : 200))
    receivers.push(r.server)
    const { signingSecret, channel } = await api.ok<{
      signingSecret: string
      channel: { id: string; urlHint: string }
    }>('POST', '/api/alerts/channels', {
      name: 'ops',
      kind: 'webhook',
      url: `http://127.0.0.1:${port}/hook`,
      events: ['deployment_ready', 'deployment_failed'],
    })
    expect(channel.urlHint).toBe(`127.0.0.1:${port} …hook`)
    dirs.push((await startRealRunner(api, 'alerts-runner')).state)

    await api.ok('POST', '/api/deployments', {
      name: 'alerted world',
      game: 'minecraft',
      config: { eula: true },
    })
    const ready = await waitFor(
      () => r.got.filter((g) => g.body.event === 'deployment_ready').length >= 2 && r.got,
      'the ready alert and its retry',
      120_000,
    )
    const [first, retry] = ready.filter((g) => g.body.event === 'deployment_ready')
    expect(first?.answered).toBe(500)
    expect(retry?.answered).toBe(200)
    // A retry is the same delivery: same id, so a receiver can drop a duplicate.
    expect(retry?.body.id).toBe(first?.body.id)
    expect(retry?.body.deployment?.name).toBe('alerted world')
    for (const g of r.got) expect(verify(signingSecret, g)).toBe(true)
    // A body changed on the way, or a signature made with another secret, does not verify.
    if (retry) {
      expect(
        verify(signingSecret, { ...retry, raw: retry.raw.replace('alerted', 'altered') }),
      ).toBe(false)
      expect(verify('another-secret-entirely', retry)).toBe(false)
    }

    // The next VM clone fails inside its Proxmox task: the deployment fails, and says so.
    sim.options.faults.tasks.push({ type: 'qmclone', message: 'clone failed: storage full' })
    await api.ok('POST', '/api/deployments', {
      name: 'doomed world',
      game: 'minecraft',
      config: { eula: true },
    })
    const failed = await waitFor(
      () => r.got.find((g) => g.body.event === 'deployment_failed'),
      'the failed alert',
      120_000,
    )
    expect(failed.body.deployment?.name).toBe('doomed world')
    expect(failed.body.detail).toContain('storage full')
    expect(verify(signingSecret, failed)).toBe(true)

    // The dashboard's log for the channel shows the 500, then the deliveries.
    const { channels } = await api.ok<{
      channels: { log: { event: string; attempt: number; status: number | null }[] }[]
    }>('GET', '/api/alerts/channels')
    const log = channels[0]?.log ?? []
    expect(log).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event: 'deployment_ready', attempt: 1, status: 500 }),
        expect.objectContaining({ event: 'deployment_ready', attempt: 2, status: 200 }),
        expect.objectContaining({ event: 'deployment_failed', attempt: 1, status: 200 }),
      ]),
    )
  })

  it('sends backup_failed when a backup does not fit, and the server stays ready', async () => {
    const { api, sim, dirs } = scene
    const port = await freePort()
    const r = await startReceiver(port)
    receivers.push(r.server)
    const { signingSecret } = await api.ok<{ signingSecret: string }>(
      'POST',
      '/api/alerts/channels',
      {
        name: 'backups',
        kind: 'webhook',
        url: `http://127.0.0.1:${port}/backups`,
        events: ['backup_failed'],
      },
    )
    // RCON is opened to the runner's address (the backup flushes the world through it).
    dirs.push((await startRealRunner(api, 'backup-runner', { RUNNER_ADDRESS: '127.0.0.1' })).state)
    const { deployment } = await api.ok<{ deployment: { id: string } }>(
      'POST',
      '/api/deployments',
      {
        name: 'full disk world',
        game: 'minecraft',
        config: { eula: true, rconEnabled: true },
      },
    )
    const status = async () =>
      (await api.ok<{ deployment: { status: string } }>('GET', `/api/deployments/${deployment.id}`))
        .deployment.status
    await waitFor(async () => (await status()) === 'ready', 'ready', 120_000, 200)
    sim.cluster.opts.storages.push({
      storage: 'tiny',
      type: 'dir',
      content: 'backup',
      shared: 0,
      active: 1,
      enabled: 1,
      sizeGiB: 0.001,
    })
    await api.ok('PUT', '/api/settings/proxmox', { ...simProxmox(sim), backupStorage: 'tiny' })
    await api.ok('POST', `/api/deployments/${deployment.id}/backups`)
    const failed = await waitFor(
      () => r.got.find((g) => g.body.event === 'backup_failed'),
      'the backup failed alert',
      60_000,
    )
    expect(failed.body.deployment?.name).toBe('full disk world')
    expect(failed.body.detail).toContain('No space left on device')
    expect(verify(signingSecret, failed)).toBe(true)
    expect(await status()).toBe('ready')
    // Only the event this channel chose: not the deployment's own ready.
    expect(r.got.map((g) => g.body.event)).toEqual(['backup_failed'])
  })
})
