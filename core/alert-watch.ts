import type { AlertEvent } from './alerts'
import type { DeploymentState } from './deployment'

/**
 * The pure decisions behind "server down / back up" and "runner offline / back online". The
 * AlertsDO stores one watch per deployment and per runner and runs these on every observation and
 * at every deadline (its alarm); nothing here reads a clock or storage.
 */

/**
 * What a deployment's state says about its server, for alerts:
 * - `up`: ready, no job of ours running, and the game answers;
 * - `down`: ready, no job running, and the VM is off (or gone) or the game does not answer;
 * - `paused`: something we (or the admin) asked for is on its way or the server is meant to be off
 *   (stopped, starting, restarting, backing up…): never a page;
 * - `gone`: destroyed, or no server to watch at all;
 * - `unknown`: no fresh word (no live status yet, Proxmox unreachable): changes nothing.
 */
export type HealthSignal = 'up' | 'down' | 'paused' | 'gone' | 'unknown'

export function healthSignal(state: DeploymentState): HealthSignal {
  if (state.spec.template) return 'gone'
  if (state.status === 'destroyed' || state.status === 'destroying') return 'gone'
  if (state.status !== 'ready' || state.job) return 'paused'
  const live = state.live
  if (!live) return 'unknown'
  if (live.power === 'stopped' || live.power === 'missing' || live.power === 'paused') return 'down'
  if (live.power !== 'running' || !live.game) return 'unknown'
  return live.game.online ? 'up' : 'down'
}

/** One server's watch, stored between observations. */
export interface ServerWatch {
  deployment: NonNullable<AlertEvent['deployment']>
  /** When it was first seen down in this outage; null while it is paused after an alert. */
  downSince: number | null
  /** Whether "down" was sent for this outage (then, and only then, "back up" follows). */
  alerted: boolean
}

/** What one decision leaves: the watch to store (null: forget it) and the alert to raise. */
export interface WatchStep<W> {
  watch: W | null
  alert: AlertEvent | null
}

function minutes(ms: number): string {
  const m = Math.max(1, Math.round(ms / 60_000))
  return `${m} minute${m === 1 ? '' : 's'}`
}

/** A new observation of a server: `signal` from healthSignal(), at `at`. */
export function observeServer(
  watch: ServerWatch | null,
  deployment: ServerWatch['deployment'],
  signal: HealthSignal,
  at: number,
): WatchStep<ServerWatch> {
  switch (signal) {
    case 'unknown':
      return { watch, alert: null }
    case 'gone':
      return { watch: null, alert: null }
    case 'paused':
      // An outage already reported stays open until the server answers again; one not yet
      // reported is forgotten (the admin's stop, restart or backup explains it).
      return { watch: watch?.alerted ? { ...watch, downSince: null } : null, alert: null }
    case 'down':
      return {
        watch: {
          deployment,
          downSince: watch?.downSince ?? at,
          alerted: watch?.alerted ?? false,
        },
        alert: null,
      }
    case 'up': {
      if (!watch?.alerted) return { watch: null, alert: null }
      const since = watch.downSince
      return {
        watch: null,
        alert: {
          type: 'server_up',
          at,
          deployment,
          ...(since !== null ? { detail: `It was down for about ${minutes(at - since)}.` } : {}),
        },
      }
    }
  }
}

/** When the watch's grace ends (null: no deadline). */
export function serverDueAt(watch: ServerWatch, graceMs: number): number | null {
  return watch.downSince !== null && !watch.alerted ? watch.downSince + graceMs : null
}

/** The alarm rang at `at`: "down" once the grace has passed without the server answering. */
export function serverDeadline(
  watch: ServerWatch,
  graceMs: number,
  at: number,
): WatchStep<ServerWatch> {
  const due = serverDueAt(watch, graceMs)
  if (due === null || at < due) return { watch, alert: null }
  return {
    watch: { ...watch, alerted: true },
    alert: {
      type: 'server_down',
      at,
      deployment: watch.deployment,
      detail: `It has not answered for ${minutes(at - (watch.downSince ?? at))}.`,
    },
  }
}

/** One runner's watch: gone since when, and whether "offline" was sent. */
export interface RunnerWatch {
  runner: NonNullable<AlertEvent['runner']>
  /** When its control socket went away; null once it is back (kept only while alerted). */
  goneSince: number | null
  alerted: boolean
}

/** The runner's control socket went away at `at` (a reconnect on another socket is not this). */
export function runnerGone(
  watch: RunnerWatch | null,
  runner: RunnerWatch['runner'],
  at: number,
): RunnerWatch {
  return { runner, goneSince: watch?.goneSince ?? at, alerted: watch?.alerted ?? false }
}

/** The runner said hello again: "back online" only after an "offline" was sent. */
export function runnerBack(watch: RunnerWatch | null, at: number): WatchStep<RunnerWatch> {
  if (!watch?.alerted) return { watch: null, alert: null }
  const since = watch.goneSince
  return {
    watch: null,
    alert: {
      type: 'runner_online',
      at,
      runner: watch.runner,
      ...(since !== null ? { detail: `It was offline for about ${minutes(at - since)}.` } : {}),
    },
  }
}

export function runnerDueAt(watch: RunnerWatch, offlineMs: number): number | null {
  return watch.goneSince !== null && !watch.alerted ? watch.goneSince + offlineMs : null
}

/**
 * Where a runner stands when its deadline comes: connected again (a hello the alerts did not hear
 * of still counts as back), still away, or revoked by the admin (who does not need telling).
 */
export type RunnerPresence = 'online' | 'offline' | 'revoked'

/** The alarm rang at `at`: "offline" once the runner has been away for `offlineMs`. */
export function runnerDeadline(
  watch: RunnerWatch,
  offlineMs: number,
  at: number,
  presence: RunnerPresence,
): WatchStep<RunnerWatch> {
  const due = runnerDueAt(watch, offlineMs)
  if (due === null || at < due) return { watch, alert: null }
  if (presence !== 'offline') return { watch: null, alert: null }
  return {
    watch: { ...watch, alerted: true },
    alert: {
      type: 'runner_offline',
      at,
      runner: watch.runner,
      detail: `It has not been connected for ${minutes(at - (watch.goneSince ?? at))}.`,
    },
  }
}
