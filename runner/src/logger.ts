import { Redactor } from './redact'

/** The levels `RUNNER_LOG_LEVEL` accepts, most severe first. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 }

/** The runner's own event log on stdout (journald picks it up), one line per event. */
export interface Logger {
  error(msg: string): void
  warn(msg: string): void
  info(msg: string): void
  debug(msg: string): void
  /** Secrets to scrub from every later line (job secrets while the job runs, the runner key). */
  addSecrets(secrets: readonly string[]): void
}

/**
 * A logger writing `LEVEL message` lines to a stream, every line redacted first, so nothing the
 * runner prints can carry a known secret (token secret, passwords): secrets never reach a log.
 */
export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  let redactor = new Redactor()
  const emit = (at: LogLevel, msg: string) => {
    if (RANK[at] > RANK[level]) return
    write(`${at.toUpperCase().padEnd(5)} ${redactor.redact(msg)}\n`)
  }
  return {
    error: (m) => emit('error', m),
    warn: (m) => emit('warn', m),
    info: (m) => emit('info', m),
    debug: (m) => emit('debug', m),
    addSecrets(secrets) {
      redactor = redactor.with(secrets)
    },
  }
}
