/**
 * A deployment's life in pure TypeScript: its state (model.ts), the status table (status.ts), and
 * the reducer that decides everything else (reduce.ts, with draft.ts and runner-frames.ts) and
 * returns the effects the DeploymentDO runs (effects.ts).
 */
export * from './effects'
export * from './model'
export { reduce } from './reduce'
export { SCHEDULE_WAIT_MS, scheduleDeadline } from './schedules'
export * from './status'
