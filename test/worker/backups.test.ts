import { describe, expect, it } from 'vitest'
import { BACKUP_STEPS, DEPLOY_STEPS } from '../../core/protocol'
import { call, json } from './helpers'
import {
  createDeployment,
  deploymentStatus,
  nthAssign,
  useSockets,
  withRunner as withRunnerOf,
  type TestSocket,
  playJob,
  statusBecomes,
} from './engine-helpers'

/**
 * Backups through the real worker: the job and its status, the list and delete a runner answers
 * on its control socket, and every refusal in words.
 */

const track = useSockets()
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function readyDeployment() {
  const { cookie, key, control } = await withRunnerOf(track)
  const dep = await createDeployment(cookie)
  const { job } = await nthAssign(control, 1)
  await playJob(track, key, job.jobId, DEPLOY_STEPS)
  await statusBecomes(cookie, dep.id, 'ready')
  return { cookie, key, control, dep }
}

/** Answer the next `backups.request` on the runner's control socket the way `reply` says. */
function answerBackups(control: TestSocket, reply: Record<string, unknown>) {
  const seen = control.frames<{ type: string }>().filter((f) => f.type === 'backups.request')
  void control
    .until(
      'backups.request',
      () =>
        control
          .frames<{ type: string; requestId: string; delete?: string }>()
          .filter((f) => f.type === 'backups.request')[seen.length],
    )
    .then((req) => control.send({ type: 'backups.result', requestId: req.requestId, ...reply }))
  return seen.length
}

describe('backups', () => {
  it('runs a backup job from ready and ends ready, even when the backup fails', async () => {
    const { cookie, key, control, dep } = await readyDeployment()
    const res = await call('POST', `/api/deployments/${dep.id}/backups`, { cookie })
    expect(res.status).toBe(202)
    expect(await deploymentStatus(cookie, dep.id)).toBe('backing_up')
    // One backup at a time, and nothing else meanwhile, each refusal saying why.
    const again = await call('POST', `/api/deployments/${dep.id}/backups`, { cookie })
    expect(again.status).toBe(409)
    expect(await json(again)).toMatchObject({
      error: {
        message:
          'Refused: backing up is only possible when ready or stopped, not while backing_up.',
      },
    })
    const stop = await call('POST', `/api/deployments/${dep.id}/stop`, { cookie })
    expect(await json(stop)).toMatchObject({
      error: { message: 'Refused: stopping is not allowed while backing_up.' },
    })
    const { job } = await nthAssign<{ jobId: string; kind: string }>(control, 2)
    expect(job.kind).toBe('backup')
    await playJob(track, key, job.jobId, BACKUP_STEPS.slice(0, 1), {
      outcome: 'failed',
      error: { message: 'vzdump failed: No space left on device' },
    })
    await statusBecomes(cookie, dep.id, 'ready')
    const detail = await json<{
      deployment: { error: unknown; lastJob: { kind: string; outcome: string; error?: string } }
    }>(await call('GET', `/api/deployments/${dep.id}`, { cookie }))
    expect(detail.deployment.error).toBeNull()
    expect(detail.deployment.lastJob).toMatchObject({
      kind: 'backup',
      outcome: 'failed',
      error: 'vzdump failed: No space left on device',
    })
  })

  it('lists and deletes through a runner, and says why when it cannot', async () => {
    const { cookie, control, dep } = await readyDeployment()
    const entry = {
      volid: 'local:backup/vzdump-qemu-4242-2026_12_03-04_00_00.vma.zst',
      createdAt: 1_790_000_000_000,
      size: 123_456_789,
      kind: 'manual',
      gameVersion: '1.21.4',
      protected: false,
    }
    answerBackups(control, { backups: [entry] })
    const list = await call('GET', `/api/deployments/${dep.id}/backups`, { cookie })
    expect(list.status).toBe(200)
    expect(await json(list)).toEqual({ storage: 'local', backups: [entry], unavailable: null })

    // The runner checks the archive is this deployment's; its refusal comes back in its words.
    answerBackups(control, {
      backups: null,
      error: `${entry.volid} is protected: unprotect it first`,
    })
    const refusedDelete = await call(
      'DELETE',
      `/api/deployments/${dep.id}/backups?volid=${encodeURIComponent(entry.volid)}`,
      { cookie },
    )
    expect(refusedDelete.status).toBe(409)
    expect(await json(refusedDelete)).toMatchObject({
      error: { message: `${entry.volid} is protected: unprotect it first` },
    })
    const asked = control
      .frames<{ type: string; delete?: string }>()
      .filter((f) => f.type === 'backups.request')
    expect(asked.at(-1)?.delete).toBe(entry.volid)

    // Bad input never reaches a runner.
    for (const volid of ['../etc/passwd', 'local:images/vm-100-disk-0', 'local:backup/../x']) {
      const bad = await call(
        'DELETE',
        `/api/deployments/${dep.id}/backups?volid=${encodeURIComponent(volid)}`,
        { cookie },
      )
      expect(bad.status).toBe(400)
      expect(await json(bad)).toMatchObject({ error: { details: [{ path: 'volid' }] } })
    }
    const elsewhere = await call(
      'DELETE',
      `/api/deployments/${dep.id}/backups?volid=${encodeURIComponent('nfs:backup/x.vma.zst')}`,
      { cookie },
    )
    expect(elsewhere.status).toBe(400)
    expect(await json(elsewhere)).toMatchObject({
      error: { message: 'nfs:backup/x.vma.zst is not on the backup storage.' },
    })
  })

  it('says there is no runner to read the backups from', async () => {
    const { cookie, control, dep } = await readyDeployment()
    control.close()
    await pause(50)
    const res = await call('GET', `/api/deployments/${dep.id}/backups`, { cookie })
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({
      storage: 'local',
      backups: null,
      unavailable: { code: 'no_runner', message: 'No runner is online to reach Proxmox.' },
    })
  })

  it('refuses a backup before the deployment is ready', async () => {
    const { cookie } = await withRunnerOf(track)
    const dep = await createDeployment(cookie)
    const res = await call('POST', `/api/deployments/${dep.id}/backups`, { cookie })
    expect(res.status).toBe(409)
    expect(await json(res)).toMatchObject({
      error: {
        message: expect.stringMatching(
          /^Refused: backing up is only possible when ready or stopped/,
        ),
      },
    })
    const missing = await call('POST', '/api/deployments/nope/backups', { cookie })
    expect(missing.status).toBe(404)
  })

  it('queues a restore of a backup on the backup storage, the archive named in the assignment', async () => {
    const { cookie, control, dep } = await readyDeployment()
    const volid = 'local:backup/vzdump-qemu-4242-2026_12_03-04_00_00.vma.zst'
    for (const bad of [{}, { volid: '../x' }, { volid: 'nfs:backup/x.vma.zst' }]) {
      const res = await call('POST', `/api/deployments/${dep.id}/restore`, { cookie, body: bad })
      expect(res.status).toBe(400)
    }
    const res = await call('POST', `/api/deployments/${dep.id}/restore`, {
      cookie,
      body: { volid },
    })
    expect(res.status).toBe(202)
    expect(await deploymentStatus(cookie, dep.id)).toBe('restoring')
    const { job } = await nthAssign<{ kind: string; restore: unknown }>(control, 2)
    expect(job).toMatchObject({ kind: 'restore', restore: { volid, skipSafety: false } })
    const again = await call('POST', `/api/deployments/${dep.id}/restore`, {
      cookie,
      body: { volid },
    })
    expect(await json(again)).toMatchObject({
      error: {
        message:
          'Refused: restoring is only possible when ready, stopped or failed, not while restoring.',
      },
    })
  })

  it('makes a new deployment from a backup: same game, secrets and size, the archive to restore', async () => {
    const { cookie, control, dep } = await readyDeployment()
    const volid = 'local:backup/vzdump-qemu-4242-2026_12_03-04_00_00.vma.zst'
    const url = `/api/deployments/${dep.id}/backups/restore-new`
    const badName = await call('POST', url, { cookie, body: { volid, name: 'no/slashes' } })
    expect(badName.status).toBe(400)
    expect(await json(badName)).toMatchObject({ error: { details: [{ path: 'name' }] } })
    const elsewhere = await call('POST', url, {
      cookie,
      body: { volid: 'nfs:backup/x.vma.zst', name: 'copy' },
    })
    expect(elsewhere.status).toBe(400)
    const made = await call('POST', url, { cookie, body: { volid, name: 'copy' } })
    expect(made.status).toBe(201)
    const copy = (await json<{ deployment: { id: string; name: string; ip: string } }>(made))
      .deployment
    expect(copy.name).toBe('copy')
    const first = await nthAssign<{
      gameSecrets: Record<string, string>
      spec: Record<string, unknown>
    }>(control, 1)
    const { job } = await nthAssign<{
      kind: string
      deploymentId: string
      gameSecrets: Record<string, string>
      spec: Record<string, unknown>
    }>(control, 2)
    expect(job.kind).toBe('deploy')
    expect(job.deploymentId).toBe(copy.id)
    expect(job.spec).toMatchObject({
      name: 'copy',
      ipAddress: copy.ip,
      restoreFrom: { volid, deploymentId: dep.id },
      cores: first.job.spec.cores,
      memoryMiB: first.job.spec.memoryMiB,
    })
    // The restored server keeps its console password: the secrets come along, sealed anew.
    expect(job.gameSecrets).toEqual(first.job.gameSecrets)
    expect(copy.ip).not.toBe(first.job.spec.ipAddress)
  })

  it('destroys keeping the backups unless asked to delete them', async () => {
    const { cookie, control, dep } = await readyDeployment()
    const bad = await call('POST', `/api/deployments/${dep.id}/destroy`, {
      cookie,
      body: { deleteBackups: 'yes' },
    })
    expect(bad.status).toBe(400)
    const res = await call('POST', `/api/deployments/${dep.id}/destroy`, {
      cookie,
      body: { deleteBackups: true },
    })
    expect(res.status).toBe(200)
    const { job } = await nthAssign<{ kind: string; destroy?: unknown }>(control, 2)
    expect(job).toMatchObject({ kind: 'destroy', destroy: { deleteBackups: true } })
  })
})
