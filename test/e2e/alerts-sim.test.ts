import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { afterAll, describe, expect, it } from 'vitest'
import { startRealRunner, useSimScene } from './sim-stack'
import { freePort, waitFor } from './stack'

/**
 * Alerts end to end: wrangler dev (in the simulator's demo mode, the only one where a loopback
 * receiver is accepted) + the bundled runner + the Proxmox simulator, and a real HTTP receiver on
 * 127.0.0.1 that checks every request's signature the way docs/alerts.md tells receivers to.
 */
const scene = useSimScene({
  vars: ['TARGET_MODE:demo', 'ALERT_RETRY_BASE_MS:300', 'ALERT_MAX_ATTEMPTS:3'],
})

interface Received {
  timestamp: string
  signature: string
  raw: string
  body: { id: string; event: string; deployment?: { name: string }; detail?: string }
  answered: number
}

/** The receiver: answers 500 to the first request (to force a retry), 200 afterwards. */
function startReceiver(port: number): Promise<{ server: Server; got: Received[] }> {
  const got: Received[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      const answered = got.length === 0 ? 500 : 200
      got.push({
        timestamp: String(req.headers['x-pgd-timestamp'] ?? ''),
        signature: String(req.headers['x-pgd-signature'] ?? ''),
        raw,
        body: JSON.parse(raw) as Received['body'],
        answered,
      })
      res.writeHead(answered).end()
    })
  })
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ server, got })))
}

/** docs/alerts.md's check, as a receiver runs it. */
function verify(secret: string, r: Pick<Received, 'timestamp' | 'signature' | 'raw'>): boolean {
  if (!/^\d+$/.test(r.timestamp) || Math.abs(Date.now() / 1000 - Number(r.timestamp)) > 300)
    return false
  const mac = createHmac('sha256', secret).update(`${r.timestamp}.${r.raw}`).digest('hex')
  const a = Buffer.from(r.signature)
  const b = Buffer.from(`sha256=${mac}`)
  return a.length === b.length && timingSafeEqual(a, b)
}

let receiver: Server | undefined
afterAll(() => receiver?.close())

describe('alerts against the simulator', () => {
  it('signs a deployment-ready alert, retries it after a 500, and sends a deployment-failed one', async () => {
    const { api, sim, dirs } = scene
    const port = await freePort()
    const r = await startReceiver(port)
    receiver = r.server
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
})
