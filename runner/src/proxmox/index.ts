/**
 * The Proxmox side of the runner, as the job engine uses it. Construct one {@link VmSteps} per
 * job from the job's `ProxmoxConnection`; every step is idempotent and takes `{ log, signal }`.
 */
import type { VmSteps } from './vm-steps'

export { VmSteps, type VmStepsOptions } from './vm-steps'
export {
  createProxmoxExecutor,
  isProxmoxStep,
  PROXMOX_STEPS,
  type ProxmoxExecutorOptions,
  type ProxmoxStep,
} from './executor'
export {
  VmStepError,
  DEFAULT_TIMEOUTS,
  DEFAULT_RETRY,
  type StepContext,
  type VmStepTimeouts,
  type RetryPolicy,
  type FoundVm,
} from './vm-common'
export { ProxmoxClient, type ProxmoxClientOptions } from './client'
export { ProxmoxApiError, ProxmoxTaskError, ProxmoxTlsError, ProxmoxNetworkError } from './errors'
export { waitSsh, SshWaitError, DEFAULT_SSH_TIMEOUTS, type SshWaitTimeouts } from '../ssh/wait'

/** What the engine needs from the VM steps: a seam its tests can fake. */
export type VmExecutor = Pick<
  VmSteps,
  | 'allocateAndClone'
  | 'configure'
  | 'resizeDisk'
  | 'start'
  | 'waitSsh'
  | 'shutdown'
  | 'stop'
  | 'destroy'
  | 'findVmByDeployment'
  | 'testConnection'
  | 'close'
>
