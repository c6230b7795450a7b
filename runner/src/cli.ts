import { hostname } from 'node:os'
import { HELP, loadConfig } from './setup/config'
import type { RunConfig } from './setup/config'
import { createRunner } from './agent'
import type { RunnerExit } from './agent'
import { loadCredentials } from './setup/credentials'
import { selectExecutors } from './executors'
import { createLogger } from './logger'
import { ensureSshKeyPair } from './ssh/key'

/** Exit codes, also listed in --help and used by the systemd unit's RestartPreventExitStatus. */
export const EXIT = { OK: 0, ERROR: 1, REVOKED: 2, REPLACED: 3, CONFIG: 78 } as const

function exitCodeOf(exit: RunnerExit): number {
  switch (exit.kind) {
    case 'stopped':
      return EXIT.OK
    case 'revoked':
      return EXIT.REVOKED
    case 'replaced':
      return EXIT.REPLACED
  }
}

async function run(config: RunConfig): Promise<number> {
  // A closed stdout (journald restarted, output piped into head) must not crash running jobs.
  process.stdout.on('error', () => {})
  const log = createLogger(config.logLevel)
  let server = config.server
  let key = config.key
  if (!server || !key) {
    const creds = loadCredentials(config.keyFile)
    if (!creds.ok) {
      log.error(creds.error)
      return EXIT.CONFIG
    }
    server ??= creds.creds.server
    key ??= creds.creds.key
  }
  log.addSecrets([key])
  const ssh = ensureSshKeyPair(config.stateDir, `pgd-runner@${config.name}`)
  log.info(`ssh public key: ${ssh.publicKey}`)
  if (config.executor === 'fake') log.warn('using FAKE executors: no VM is really created')
  const runner = createRunner(config, {
    server,
    key,
    ssh,
    executors: selectExecutors(config),
    log,
  })

  let signals = 0
  const onSignal = (name: string) => {
    signals += 1
    if (signals > 1) {
      // Spools are written before lines are sent, so leaving at once loses nothing.
      log.warn(`${name} again: exiting now`)
      process.exit(EXIT.ERROR)
    }
    log.info(`${name}: draining (send it again to exit at once)`)
    void runner.stop()
  }
  process.on('SIGTERM', () => onSignal('SIGTERM'))
  process.on('SIGINT', () => onSignal('SIGINT'))

  runner.start()
  const exit = await runner.ended
  if (exit.kind !== 'stopped') log.error(exit.message)
  else log.info('stopped')
  return exitCodeOf(exit)
}

/** Entry point: `pgd-runner register|run`, or `--help`. Returns the process exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  // The default runner name; shells set HOSTNAME, systemd does not.
  const loaded = loadConfig({ HOSTNAME: hostname(), ...env }, argv)
  if (!loaded.ok) {
    for (const error of loaded.errors) process.stderr.write(`pgd-runner: ${error}\n`)
    return EXIT.CONFIG
  }
  const config = loaded.config
  switch (config.command) {
    case 'help':
      process.stdout.write(HELP)
      return EXIT.OK
    case 'register': {
      const { register } = await import('./setup/register')
      const outcome = await register(config)
      if (!outcome.ok) {
        process.stderr.write(`pgd-runner: ${outcome.message}\n`)
        return EXIT.ERROR
      }
      process.stdout.write(
        `Registered as runner ${outcome.runnerId}. Key saved to ${config.keyFile} (mode 0600).\nStart it with: pgd-runner run\n`,
      )
      return EXIT.OK
    }
    case 'run':
      return run(config)
  }
}

const code = await main(process.argv.slice(2), process.env)
process.exit(code)
