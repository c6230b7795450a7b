import type { DeploymentEffect, DeploymentState } from '../../core/deployment'
import { systemAuditEntry } from '../db/audit-log'
import { batch } from '../db/client'
import { saveDeploymentInputs } from '../db/deployment-inputs'
import { closeJob, jobInsert, requeueLeasedJob } from '../db/jobs'
import { templateBuilt } from '../lib/template-job'
import { hubStub } from './stubs'

type OutsideEffect = Extract<
  DeploymentEffect,
  {
    type:
      | 'requeue_row'
      | 'close_row'
      | 'insert_row'
      | 'save_inputs'
      | 'template_built'
      | 'dispatch'
      | 'warn'
  }
>

/**
 * The reducer's effects that leave the deployment's object: D1's job queue and audit log, the
 * template selected in Settings, the hub's dispatcher, the operator's log. The DeploymentDO runs
 * the ones on its own storage and sockets itself.
 */
export async function outsideEffect(
  env: Env,
  ctx: DurableObjectState,
  state: DeploymentState,
  fx: OutsideEffect,
): Promise<void> {
  const db = env.DB
  switch (fx.type) {
    case 'requeue_row':
      return requeueLeasedJob(db, fx.jobId)
    case 'close_row':
      return closeJob(db, fx.jobId, fx.status)
    case 'insert_row':
      await batch(db, [
        jobInsert(db, state.id, fx.jobId, fx.kind),
        fx.kind === 'rollback'
          ? systemAuditEntry(db, 'deployment.change_rolled_back', {
              target: state.id,
              details: { snapshot: state.change?.params.snapshot, error: fx.auditError },
            })
          : systemAuditEntry(db, 'deployment.auto_destroy', {
              target: state.id,
              details: { policy: 'onFailure=destroy', error: fx.auditError },
            }),
      ])
      return
    case 'save_inputs':
      return saveDeploymentInputs(db, state.id, fx.spec, fx.sealed)
    case 'template_built':
      return templateBuilt(env, state.id, fx.result)
    case 'dispatch':
      // Not awaited: the hub may be calling this object right now; neither waits on the other.
      ctx.waitUntil(hubStub(env).dispatch())
      return
    case 'warn':
      console.warn(JSON.stringify({ level: 'warn', deployment: state.id, note: fx.message }))
      return
  }
}
