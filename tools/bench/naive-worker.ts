import type { DeploymentState } from '../../core/deployment'
import type { DeploymentLogLine } from '../../core/protocol'
import { insertLogLine } from '../../worker/db/deployment-logs'
import { DeploymentDO as ProductDeploymentDO } from '../../worker/do/deployment'
import { LogMirror } from '../../worker/do/log-mirror'
import worker from '../../worker/index'

/**
 * The worker `npm run bench` measures its log pipeline against: the product's worker with one
 * change, a D1 insert per line awaited before the runner's ack (what a first version would do).
 * Started by the bench as the dev server's entry point (`scripts/start.mjs --script`); the
 * product never loads it.
 */
class NaiveLogMirror extends LogMirror {
  override async linesStored(
    state: DeploymentState,
    lines: readonly DeploymentLogLine[],
  ): Promise<void> {
    for (const line of lines) {
      await insertLogLine(this.env.DB, state.id, state.job?.jobId ?? null, line)
      state.mirroredSeq = line.seq
    }
    this.host.storeState(state)
  }
}

export class DeploymentDO extends ProductDeploymentDO {
  protected override createMirror(ctx: DurableObjectState, env: Env): LogMirror {
    return new NaiveLogMirror(this, ctx, env)
  }
}

export { AlertsDO, LoginThrottle, RunnerHub } from '../../worker/index'
export default worker
