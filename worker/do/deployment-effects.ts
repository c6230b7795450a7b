import type { DeploymentEffect, DeploymentState } from '../../core/deployment'
import { systemAuditEntry } from '../db/audit-log'
import { batch } from '../db/client'
import { saveDeploymentInputs } from '../db/deployment-inputs'
import { closeJob, jobInsert, requeueLeasedJob } from '../db/jobs'
import { templateBaked } from '../lib/bake-job'
import { templateBuilt } from '../lib/template-job'
import { hubStub } from './stubs'
import { raiseJobAlert } from '../alerts/job'

type OutsideEffect = Extract<
  DeploymentEffect,
  {
    type:
      | 'requeue_row'
      | 'close_row'
      | 'insert_row'
      | 'template_built'
      | 'template_baked'
      | 'dispatch'
      | 'warn'
      | 'schedule_failed'
      | 'save_inputs'
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
        systemAuditEntry(db, fx.audit.action, { target: state.id, details: fx.audit.details }),
      ])
      return
    case 'save_inputs':
      return saveDeploymentInputs(db, state.id, fx.spec, fx.sealed)
    case 'template_built':
      return templateBuilt(env, state.id, fx.result)
    case 'template_baked':
      return templateBaked(env, state.id, fx.result)
    case 'dispatch':
      // Not awaited: the hub may be calling this object right now; neither waits on the other.
      ctx.waitUntil(hubStub(env).dispatch())
      return
    case 'schedule_failed':
      console.warn(
        JSON.stringify({
          level: 'warn',
          deployment: state.id,
          schedule: fx.scheduleId,
          action: fx.action,
          error: fx.error,
        }),
      )
      ctx.waitUntil(
        raiseJobAlert(env, {
          deploymentId: state.id,
          name: state.spec.name,
          action: fx.action,
          error: fx.error,
        }),
      )
      return
    case 'warn':
      console.warn(JSON.stringify({ level: 'warn', deployment: state.id, note: fx.message }))
      return
  }
}
