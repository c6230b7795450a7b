/**
 * The wire protocol between the worker, the runner and the dashboard, one module per socket:
 * `runner-control.ts` (runner ↔ RunnerHub), `runner-job.ts` (runner ↔ a deployment's DO, one
 * socket per running job), `dashboard.ts` (DO → dashboard), `server-log.ts` (hub → dashboard, the game's journal); their shared nouns in `domain.ts`;
 * how frames are written and read in `codec.ts` (and `runner-job-codec.ts`, the job socket's
 * busy `logs` frames); plain values without zod in `constants.ts`.
 */
export * from './codec'
export * from './constants'
export * from './dashboard'
export * from './domain'
export * from './runner-control'
export * from './runner-job'
export * from './runner-job-codec'
export * from './server-log'
