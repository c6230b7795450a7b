import { CLOSE } from '../../../core/protocol'
import { jobsLeasedTo } from '../../db/jobs'
import { deploymentStub } from '../stubs'
import type { RunnerSockets } from './sockets'
import type { WatchLists } from './watch'

/**
 * Close a revoked runner's sockets at once, put its jobs back in the queue and its watch list
 * on the other runners. Its key stopped working already (the D1 row lost its hash).
 */
export async function revokeRunner(
  env: Env,
  sockets: RunnerSockets,
  watch: WatchLists,
  runnerId: string,
): Promise<void> {
  for (const ws of sockets.of(runnerId)) ws.close(CLOSE.REVOKED, 'runner revoked')
  await watch.drop(runnerId)
  for (const job of await jobsLeasedTo(env.DB, runnerId))
    await deploymentStub(env, job.deploymentId).runnerRevoked(runnerId)
}
