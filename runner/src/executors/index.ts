import type { RunConfig } from '../config'
import { createFakeExecutors } from './fake'
import type { Executors } from './types'

/**
 * The executors named by `RUNNER_EXECUTOR`. `real` is the Proxmox + SSH + Ansible set, wired in
 * by `createRealExecutors` once those modules land; until then it refuses every step clearly.
 */
export function selectExecutors(config: RunConfig): Executors {
  switch (config.executor) {
    case 'fake':
      return createFakeExecutors(config.fake)
    case 'real':
      return notWiredYet
  }
}

const NOT_WIRED =
  'this runner build has no real executors yet (run with RUNNER_EXECUTOR=fake to try it)'

const notWiredYet: Executors = {
  runStep: () => Promise.reject(new Error(NOT_WIRED)),
  testConnection: () => Promise.resolve([{ name: 'runner', ok: false, message: NOT_WIRED }]),
}
