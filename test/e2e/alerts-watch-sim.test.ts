import type { Server } from 'node:http'
import { afterAll, describe, expect, it } from 'vitest'
import { BannerBackend } from '../pve-sim/backend'
import { startRunner } from '../runner/harness'
import { startReceiver, verify, type Received } from './alert-receiver'
import { startRealRunner, useSimScene } from './sim-stack'
import { freePort, waitFor } from './stack'

/**
 * "Server down / back up" and "runner offline / back online" end to end: wrangler dev + the
 * bundled runner + the Proxmox simulator, whose guest's game is made to crash and come back, and
 * a loopback receiver that checks every signature. One alert "minute" is a second here
 * (ALERT_MINUTE_MS), so the waits set in Settings are the ones that apply, only shorter.
 */
const MINUTE_MS = 1000
const GRACE_MIN = 5
const OFFLINE_MIN = 4
const scene = useSimScene({
  vars: [
    'TARGET_MODE:demo',
    'STATUS_INTERVAL_MS:300',
    // Runners ping every second: one silent for three seconds is offline.
    'HEARTBEAT_INTERVAL_MS:1000',
    `ALERT_MINUTE_MS:${MINUTE_MS}`,
    'ALERT_RETRY_BASE_MS:300',
    'ALERT_MAX_ATTEMPTS:3',
  ],
})

interface Detail {
  deployment: {
    status: string
    vmid: number
    live: { power: string; game: { online: boolean } | null } | null
  }
}

let receiver: Server | undefined
afterAll(() => receiver?.close())

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('server and runner watch against the simulator', () => {
  it('sends nothing for a flap inside the grace, then down and back up, then runner offline and back online', async () => {
    const { api, sim, dirs } = scene
    const backend = sim.options.backend
    if (!(backend instanceof BannerBackend)) throw new Error('the scene runs the banner backend')
    const port = await freePort()
    const r = await startReceiver(port)
    receiver = r.server
    const of = (event: string): Received[] => r.got.filter((g) => g.body.event === event)

    await api.ok('PUT', '/api/alerts/timing', {
      serverDownGraceMinutes: GRACE_MIN,
      runnerOfflineMinutes: OFFLINE_MIN,
    })
    const { signingSecret } = await api.ok<{ signingSecret: string }>(
      'POST',
      '/api/alerts/channels',
      {
        name: 'on call',
        kind: 'webhook',
        url: `http://127.0.0.1:${port}/hook`,
        events: ['server_down', 'server_up', 'runner_offline', 'runner_online'],
      },
    )
    const started = await startRealRunner(api, 'watch-runner')
    dirs.push(started.state)
    const welcomed = await started.runner.waitForOutput(/welcomed as runner (\S+)/, 'welcome')
    const runnerId = welcomed[1]

    const { deployment } = await api.ok<{ deployment: { id: string } }>(
      'POST',
      '/api/deployments',
      { name: 'watched world', game: 'minecraft', config: { eula: true } },
    )
    const detail = async () =>
      (await api.ok<Detail>('GET', `/api/deployments/${deployment.id}`)).deployment
    const answering = (want: boolean) => async () => {
      const d = await detail()
      return d.status === 'ready' && d.live?.power === 'running' && d.live.game?.online === want
    }
    await waitFor(answering(true), 'ready and answering', 120_000, 200)
    const { vmid } = await detail()

    // A flap: the game stops answering for about a second, well inside the 5 "minutes" of grace.
    const flapAt = Date.now()
    await backend.crashGame(vmid)
    await waitFor(answering(false), 'the live status sees the game silent', 20_000, 100)
    await pause(1000)
    backend.reviveGame(vmid)
    await waitFor(answering(true), 'the game answers again', 20_000, 100)
    // Past the grace counted from the crash, and a little more: nothing was sent.
    await pause(Math.max(0, flapAt + (GRACE_MIN + 2) * MINUTE_MS - Date.now()))
    expect(r.got).toEqual([])

    // A real outage: down once the grace has passed, back up when the game answers again.
    const crashAt = Date.now()
    await backend.crashGame(vmid)
    const down = await waitFor(() => of('server_down')[0], 'the down alert', 60_000)
    expect(down.at - crashAt).toBeGreaterThanOrEqual(GRACE_MIN * MINUTE_MS)
    expect(down.body.deployment?.name).toBe('watched world')
    expect(down.body.detail).toMatch(/has not answered for \d+ minutes?/)
    await pause(1500)
    // Still down: one alert per outage, not one per status report.
    expect(of('server_down')).toHaveLength(1)
    expect(of('server_up')).toEqual([])
    backend.reviveGame(vmid)
    const up = await waitFor(() => of('server_up')[0], 'the back up alert', 30_000)
    expect(up.body.deployment?.name).toBe('watched world')
    for (const g of r.got) expect(verify(signingSecret, g)).toBe(true)
    expect(r.got.map((g) => g.body.event)).toEqual(['server_down', 'server_up'])

    // The runner restarted inside the wait: nothing.
    started.runner.child.kill('SIGKILL')
    await started.runner.exited
    const again = await startRunner(['run'], started.env)
    await again.waitForOutput(/welcomed as runner/, 'the runner back on its socket', 20_000)
    await pause((OFFLINE_MIN + 2) * MINUTE_MS)
    expect(of('runner_offline')).toEqual([])

    // Gone for longer than the wait: offline, then back online once it is back.
    const killedAt = Date.now()
    again.child.kill('SIGKILL')
    await again.exited
    const offline = await waitFor(() => of('runner_offline')[0], 'the offline alert', 60_000)
    expect(offline.at - killedAt).toBeGreaterThanOrEqual(OFFLINE_MIN * MINUTE_MS)
    expect(offline.body.runner?.name).toBe('watch-runner')
    expect(offline.body.runner?.id).toBe(runnerId)
    expect(of('runner_online')).toEqual([])
    const back = await startRunner(['run'], started.env)
    const online = await waitFor(() => of('runner_online')[0], 'the back online alert', 30_000)
    expect(online.body.runner?.name).toBe('watch-runner')
    expect(online.body.detail).toMatch(/offline for about \d+ minutes?/)

    // Frozen with its socket still open (a suspended host, a network dropping packets without a
    // reset): the hub closes the silent socket after three heartbeats, and the same alerts follow.
    const frozenAt = Date.now()
    back.child.kill('SIGSTOP')
    try {
      const frozen = await waitFor(() => of('runner_offline')[1], 'offline while frozen', 60_000)
      expect(frozen.at - frozenAt).toBeGreaterThanOrEqual(OFFLINE_MIN * MINUTE_MS)
      expect(frozen.body.runner?.id).toBe(runnerId)
      const { runners } = await api.ok<{ runners: { id: string; online: boolean }[] }>(
        'GET',
        '/api/runners',
      )
      expect(runners.find((x) => x.id === runnerId)?.online).toBe(false)
    } finally {
      back.child.kill('SIGCONT')
    }
    // Thawed, it finds its socket closed, connects again and says hello.
    await waitFor(() => of('runner_online')[1], 'back online after the freeze', 30_000)
    for (const g of r.got) expect(verify(signingSecret, g)).toBe(true)
    // The runner's absence was not the server's: no server alert came with it.
    expect(of('server_down')).toHaveLength(1)
  })
})
