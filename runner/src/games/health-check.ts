import { createSocket } from 'node:dgram'
import { connect } from 'node:net'
import type { HealthCheck } from '../../../core/games/types'
import { pingMinecraft } from './slp'
import { queryA2sInfo, type A2sInfo } from './a2s'
import type { MinecraftStatus } from './slp'

/** The verify step's outcome, shown in the timeline and stored with the deployment. */
export type HealthCheckResult =
  | { ok: true; kind: 'minecraft-slp'; status: MinecraftStatus }
  | { ok: true; kind: 'steam-a2s'; info: A2sInfo }
  | { ok: true; kind: 'tcp' | 'udp'; latencyMs: number }
  | {
      ok: false
      kind: HealthCheck['kind']
      error: string
      /** A server answered, but not as configured (the error names both values). */
      mismatch?: boolean
    }

/** What an answering game told its check, as the result card and the live status show it. */
export interface AnswerFacts {
  latencyMs: number
  version?: string
  /** Minecraft's MOTD. */
  motd?: string
  /** A Steam server's name. */
  name?: string
  players?: { online: number; max: number }
}

export function answerFacts(result: Extract<HealthCheckResult, { ok: true }>): AnswerFacts {
  switch (result.kind) {
    case 'minecraft-slp': {
      const s = result.status
      return {
        version: s.version,
        motd: s.motd,
        players: { online: s.playersOnline, max: s.playersMax },
        latencyMs: s.latencyMs,
      }
    }
    case 'steam-a2s': {
      const i = result.info
      return {
        version: i.version,
        name: i.name,
        players: { online: i.players, max: i.maxPlayers },
        latencyMs: i.latencyMs,
      }
    }
    default:
      return { latencyMs: result.latencyMs }
  }
}

/** Minecraft formatting codes (§ + one character): servers may turn them into components. */
const FORMATTING = /§./g

/**
 * Runs a game module's health check against `host` (the VM's address as the runner reaches it).
 * Never rejects; a failure says what was expected and what answered.
 */
export async function runHealthCheck(
  check: HealthCheck,
  host: string,
  signal?: AbortSignal,
): Promise<HealthCheckResult> {
  try {
    switch (check.kind) {
      case 'minecraft-slp': {
        const status = await pingMinecraft({
          host,
          port: check.port,
          timeoutMs: check.timeoutMs,
          signal,
        })
        const problem = slpMismatch(check.expect, status)
        return problem
          ? { ok: false, kind: check.kind, error: problem, mismatch: true }
          : { ok: true, kind: check.kind, status }
      }
      case 'steam-a2s': {
        const info = await queryA2sInfo({
          host,
          port: check.port,
          timeoutMs: check.timeoutMs,
          signal,
        })
        if (check.expect.name !== undefined && info.name !== check.expect.name)
          return {
            ok: false,
            kind: check.kind,
            error: `the server answers as "${info.name}", not the configured "${check.expect.name}"`,
            mismatch: true,
          }
        return { ok: true, kind: check.kind, info }
      }
      case 'tcp':
        return {
          ok: true,
          kind: 'tcp',
          latencyMs: await tcpConnect(host, check.port, check.timeoutMs),
        }
      case 'udp':
        return {
          ok: true,
          kind: 'udp',
          latencyMs: await udpExchange(
            host,
            check.port,
            Buffer.from(check.payloadHex, 'hex'),
            check.timeoutMs,
          ),
        }
    }
  } catch (err) {
    return { ok: false, kind: check.kind, error: err instanceof Error ? err.message : String(err) }
  }
}

function slpMismatch(
  expect: Extract<HealthCheck, { kind: 'minecraft-slp' }>['expect'],
  status: MinecraftStatus,
): string | null {
  if (
    expect.version !== undefined &&
    !versionMatches(expect.version, expect.edition, status.version)
  ) {
    const want = expect.edition === 'paper' ? `Paper ${expect.version}` : expect.version
    return `the server answers as version "${status.version}", not the configured ${want}`
  }
  if (expect.motd !== undefined) {
    const want = expect.motd.replace(FORMATTING, '')
    const got = status.motd.replace(FORMATTING, '')
    if (want !== got) return `the server answers with MOTD "${got}", not the configured "${want}"`
  }
  if (expect.maxPlayers !== undefined && expect.maxPlayers !== status.playersMax) {
    return `the server allows ${status.playersMax} players, not the configured ${expect.maxPlayers}`
  }
  return null
}

/**
 * A vanilla server's `version.name` is the release id itself (`1.21.4`); Paper's names the
 * software first (`Paper 1.21.4`). The id must stand as a whole word, so 1.21.4 is not 1.21.40.
 */
function versionMatches(id: string, edition: string | undefined, name: string): boolean {
  const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const word = new RegExp(`(^|[^0-9A-Za-z.])${escaped}($|[^0-9A-Za-z.])`)
  if (edition === 'paper') return /\bpaper\b/i.test(name) && word.test(name)
  return name.trim() === id
}

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<number> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs })
    socket.once('connect', () => {
      socket.destroy()
      resolve(performance.now() - started)
    })
    socket.once('timeout', () => {
      socket.destroy()
      reject(new Error(`no TCP connection to ${host}:${port} within ${timeoutMs} ms`))
    })
    socket.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`cannot reach ${host}:${port}/tcp: ${err.code ?? err.message}`)),
    )
  })
}

function udpExchange(
  host: string,
  port: number,
  payload: Buffer,
  timeoutMs: number,
): Promise<number> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4')
    const timer = setTimeout(() => {
      socket.close()
      reject(new Error(`no UDP answer from ${host}:${port} within ${timeoutMs} ms`))
    }, timeoutMs)
    socket.once('message', () => {
      clearTimeout(timer)
      socket.close()
      resolve(performance.now() - started)
    })
    socket.once('error', (err) => {
      clearTimeout(timer)
      socket.close()
      reject(new Error(`UDP to ${host}:${port} failed: ${err.message}`))
    })
    socket.send(payload, port, host)
  })
}
