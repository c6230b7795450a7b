import { waitFor, type ApiClient } from '../../test/e2e/stack'
import { percentile, round } from './measure'

/**
 * The orchestration cost of a backup and of a restore in place, beside the deploy's: each a job
 * through the real runner and executors against the zero-latency simulator (vzdump and the
 * restore take no simulated time; the game has no console, so the backup runs in stop mode and
 * both stop and start the simulated guest). Wall time from the POST until the deployment is
 * ready again with that job's outcome, p50 over `runs` of each, on ready deployments `ids`.
 */
export async function measureBackupRestore(
  api: ApiClient,
  ids: readonly string[],
  runs: number,
): Promise<{ backupMs: number; restoreMs: number; n: number }> {
  const backups: number[] = []
  const restores: number[] = []
  const lastJob = async (id: string) =>
    (
      await api.ok<{
        deployment: { status: string; lastJob: { kind: string; endedAt: number } | null }
      }>('GET', `/api/deployments/${id}`)
    ).deployment
  const until = async (id: string, kind: string, after: number) =>
    waitFor(
      async () => {
        const d = await lastJob(id)
        if (d.status === 'failed') throw new Error(`the ${kind} of ${id} failed`)
        return d.status === 'ready' && d.lastJob?.kind === kind && d.lastJob.endedAt >= after
      },
      `${kind} of ${id}`,
      60_000,
      5,
    )
  for (let i = 0; i < Math.min(runs, ids.length); i++) {
    const id = ids[i] as string
    let t0 = Date.now()
    await api.ok('POST', `/api/deployments/${id}/backups`)
    await until(id, 'backup', t0)
    backups.push(Date.now() - t0)
    const { backups: list } = await api.ok<{ backups: { volid: string }[] | null }>(
      'GET',
      `/api/deployments/${id}/backups`,
    )
    const volid = list?.[0]?.volid
    if (!volid) throw new Error(`no backup listed for ${id}`)
    t0 = Date.now()
    await api.ok('POST', `/api/deployments/${id}/restore`, { volid })
    await until(id, 'restore', t0)
    restores.push(Date.now() - t0)
  }
  return {
    backupMs: round(percentile(backups, 50)),
    restoreMs: round(percentile(restores, 50)),
    n: backups.length,
  }
}
