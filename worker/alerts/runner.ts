/**
 * Tell the alerts' runner watch that a runner's control socket went away (`gone`) or that it said
 * hello (`back`); the AlertsDO decides whether that is worth a message (core/alert-watch.ts).
 * Never throws: the hub's own work on the socket goes on.
 */
export async function runnerAlert(
  env: Env,
  what: 'gone' | 'back',
  runner: { runnerId: string; name: string },
): Promise<void> {
  try {
    const alerts = env.ALERTS.get(env.ALERTS.idFromName('alerts'))
    if (what === 'gone')
      await alerts.runnerGone({ id: runner.runnerId, name: runner.name }, Date.now())
    else await alerts.runnerBack(runner.runnerId, Date.now())
  } catch (err) {
    console.error(
      `runner ${what} could not reach the alerts: ${err instanceof Error ? err.name : 'error'}`,
    )
  }
}
