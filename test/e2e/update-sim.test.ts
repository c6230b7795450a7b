import { afterAll, describe, expect, it } from 'vitest'
import { pingMinecraft } from '../../runner/src/games/slp'
import { SIMULATED_RELEASES, serveGameUpstream } from '../pve-sim/game-upstream'
import { startRealRunner, useSimScene } from './sim-stack'
import { waitFor, type ApiClient } from './stack'

/**
 * "Update available" end to end: wrangler dev + the bundled runner with the real executors + the
 * Proxmox simulator + simulated game publishers of this file's own, which publish a new release
 * half-way. The runner's live status names the newest release of a `latest` deployment's
 * channel; Update runs a change job to it (snapshot, playbook, verify); a pinned deployment is
 * offered nothing, and a downgrade or a release no runner reported is refused with the reason.
 */
const scene = useSimScene({ vars: ['STATUS_INTERVAL_MS:300'] })
// Every release but the last: the last comes out during the test.
const NEWEST = SIMULATED_RELEASES.at(-1) ?? '26.1.1'
const BEFORE = SIMULATED_RELEASES.at(-2) ?? '26.1'
const upstream = serveGameUpstream('127.0.0.1', SIMULATED_RELEASES.slice(0, -1))
afterAll(async () => (await upstream).close())

interface Detail {
  id: string
  status: string
  ip: string
  vmid: number
  config: Record<string, unknown>
  result: { version?: string } | null
  live: { checkedAt: number; latestVersion?: string } | null
  lastJob: { kind: string; outcome: string; endedAt: number } | null
}

const detail = async (api: ApiClient, id: string) =>
  (await api.ok<{ deployment: Detail }>('GET', `/api/deployments/${id}`)).deployment

async function deploy(api: ApiClient, name: string, version: string): Promise<Detail> {
  const { deployment } = await api.ok<{ deployment: { id: string } }>('POST', '/api/deployments', {
    name,
    game: 'minecraft',
    config: { eula: true, version, motd: name, memoryMb: 4096, diskGb: 16 },
  })
  await waitFor(
    async () => ['ready', 'failed'].includes((await detail(api, deployment.id)).status),
    'deployed',
    90_000,
    200,
  )
  const d = await detail(api, deployment.id)
  expect(d.status).toBe('ready')
  return d
}

/** The live status once it was checked after `since`. */
const liveAfter = (api: ApiClient, id: string, since: number, what: string) =>
  waitFor(
    async () => {
      const d = await detail(api, id)
      return d.live && d.live.checkedAt >= since ? d : null
    },
    what,
    20_000,
    100,
  )

describe('update available against the simulator', () => {
  it('offers the new release of a latest deployment, updates to it, and keeps a pinned one pinned', async () => {
    const { api, dirs } = scene
    const env = { ...(await upstream).runnerEnv(), RUNNER_VERSION_LIST_TTL_MS: '0' }
    dirs.push((await startRealRunner(api, 'update-runner', env)).state)
    const latest = await deploy(api, 'latest world', 'latest')
    const pinned = await deploy(api, 'pinned world', '1.21.4')
    expect(latest.result?.version).toBe(BEFORE)

    // Nothing newer yet: the live status names the installed release as the newest.
    let since = Date.now()
    expect((await liveAfter(api, latest.id, since, 'a first check')).live?.latestVersion).toBe(
      BEFORE,
    )
    const same = await api.request('POST', `/api/deployments/${latest.id}/update`, {
      version: BEFORE,
    })
    expect(same.status).toBe(409)
    expect(JSON.stringify(same.body)).toContain('already the newest release')

    // A release comes out: the next rounds report it for the latest deployment only.
    ;(await upstream).publish(NEWEST)
    since = Date.now()
    await waitFor(
      async () => (await detail(api, latest.id)).live?.latestVersion === NEWEST,
      'the new release reported',
      20_000,
      100,
    )
    const pinnedLive = await liveAfter(api, pinned.id, since, 'the pinned deployment checked')
    expect(pinnedLive.live?.latestVersion).toBeUndefined()
    const notPinned = await api.request('POST', `/api/deployments/${pinned.id}/update`, {
      version: NEWEST,
    })
    expect(notPinned.status).toBe(409)
    expect(JSON.stringify(notPinned.body)).toContain('a pinned version stays pinned')
    // A release no runner reported is not taken on the caller's word.
    const unseen = await api.request('POST', `/api/deployments/${latest.id}/update`, {
      version: '99.0',
    })
    expect(unseen.status).toBe(409)
    const bad = await api.request('POST', `/api/deployments/${latest.id}/update`, {
      version: 'latest; rm',
    })
    expect(bad.status).toBe(400)
    expect(JSON.stringify(bad.body)).toContain('version')

    // Update: a change job; the game answers with the new release, the config still follows latest.
    const started = Date.now()
    await api.ok('POST', `/api/deployments/${latest.id}/update`, { version: NEWEST })
    const after = await waitFor(
      async () => {
        const d = await detail(api, latest.id)
        return d.status === 'ready' && d.lastJob?.kind === 'change' && d.lastJob.endedAt >= started
          ? d
          : null
      },
      'the update ended',
      90_000,
      200,
    )
    expect(after.lastJob?.outcome).toBe('succeeded')
    expect(after.result?.version).toBe(NEWEST)
    expect(after.config.version).toBe('latest')
    const answer = await pingMinecraft({ host: after.ip, port: 25_565, timeoutMs: 2_000 })
    expect(answer.version).toBe(NEWEST)

    // The audit names the move.
    const audit = await api.ok<{ entries: { action: string; details: unknown }[] }>(
      'GET',
      '/api/audit?limit=50',
    )
    const row = audit.entries.find((e) => e.action === 'deployment.change_requested')
    expect(JSON.stringify(row?.details)).toContain(`"to":"${NEWEST}"`)

    // Back to the older release: refused with the world format as the reason.
    await liveAfter(api, latest.id, Date.now(), 'checked after the update')
    const down = await api.request('POST', `/api/deployments/${latest.id}/update`, {
      version: BEFORE,
    })
    expect(down.status).toBe(409)
    expect(JSON.stringify(down.body)).toContain('world format')
    expect((await detail(api, pinned.id)).result?.version).toBe('1.21.4')
  })
})
