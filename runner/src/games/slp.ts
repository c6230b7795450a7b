import { connect } from 'node:net'
import { field, isInt, isObject, isString, need, ShapeError } from '../shape'
import { decodeStatusJson, encodePing, encodeStatusRequest, readPackets } from './slp-codec'

/** How long a ping may take in all (connect, status, pong) unless the caller says otherwise. */
export const SLP_DEFAULT_TIMEOUT_MS = 5_000

/** A text component: a string, or `{ text, extra: [...] }`, or an array of components. */
export type TextComponent = string | TextComponent[] | { text?: string; extra?: TextComponent[] }

/** What a Server List Ping tells about a running server. */
export interface MinecraftStatus {
  /** e.g. `1.21.5`, or `Paper 1.21.5`. */
  version: string
  protocol: number
  /** The MOTD as plain text, formatting codes (`§a`) kept. */
  motd: string
  playersOnline: number
  playersMax: number
  /** Round trip of the ping/pong exchange (of the status exchange when a server skips the pong). */
  latencyMs: number
}

/** Why a ping failed: a user-facing message that names the address. */
export class SlpError extends Error {
  constructor(
    readonly code: 'timeout' | 'connect' | 'protocol' | 'closed' | 'aborted',
    message: string,
  ) {
    super(message)
    this.name = 'SlpError'
  }
}

/** Flattens a text component to its plain text. */
export function componentText(component: TextComponent | undefined): string {
  if (component === undefined) return ''
  if (typeof component === 'string') return component
  if (Array.isArray(component)) return component.map(componentText).join('')
  return (component.text ?? '') + (component.extra ?? []).map(componentText).join('')
}

export interface PingOptions {
  host: string
  port: number
  /** Total budget, default 5 s: old servers hold the socket open, so never wait for a close. */
  timeoutMs?: number
  signal?: AbortSignal
}

/**
 * Asks a Minecraft Java server for its status over the Server List Ping: handshake, status
 * request, then a ping for the latency. Rejects with an `SlpError` on timeout, refusal, an
 * abort or an answer that is not the protocol.
 */
export function pingMinecraft(options: PingOptions): Promise<MinecraftStatus> {
  const { host, port, signal } = options
  const timeoutMs = options.timeoutMs ?? SLP_DEFAULT_TIMEOUT_MS
  const where = `${host}:${port}`
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port })
    let buffer: Buffer = Buffer.alloc(0)
    let status: Omit<MinecraftStatus, 'latencyMs'> | null = null
    let sentAt = performance.now()
    let statusRttMs = 0
    let settled = false

    const finish = (error: SlpError | null, result?: MinecraftStatus) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      socket.destroy()
      if (error) reject(error)
      else if (result) resolve(result)
    }
    const onAbort = () => finish(new SlpError('aborted', `ping of ${where} was aborted`))
    const timer = setTimeout(
      () =>
        finish(
          new SlpError('timeout', `no Server List Ping answer from ${where} in ${timeoutMs} ms`),
        ),
      timeoutMs,
    )
    if (signal?.aborted) return onAbort()
    signal?.addEventListener('abort', onAbort, { once: true })

    socket.on('connect', () => {
      sentAt = performance.now()
      socket.write(encodeStatusRequest(host, port))
    })
    socket.on('error', (err: NodeJS.ErrnoException) =>
      finish(new SlpError('connect', `cannot reach ${where}: ${err.code ?? err.message}`)),
    )
    socket.on('close', () => {
      // Some servers close after the status answer instead of answering the ping.
      if (status) finish(null, { ...status, latencyMs: roundMs(statusRttMs) })
      else finish(new SlpError('closed', `${where} closed the connection without a status answer`))
    })
    socket.on('data', (chunk: Buffer) => {
      try {
        buffer = Buffer.concat([buffer, chunk])
        const { packets, rest } = readPackets(buffer)
        buffer = rest
        for (const packet of packets) {
          if (packet.id === 0x00 && !status) {
            statusRttMs = performance.now() - sentAt
            status = parseStatus(decodeStatusJson(packet.data), where)
            sentAt = performance.now()
            socket.write(encodePing(BigInt(Date.now())))
          } else if (packet.id === 0x01 && status) {
            finish(null, { ...status, latencyMs: roundMs(performance.now() - sentAt) })
          } else {
            throw new Error(`unexpected packet 0x${packet.id.toString(16)}`)
          }
        }
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err)
        finish(new SlpError('protocol', `${where} does not speak the Server List Ping: ${reason}`))
      }
    })
  })
}

function parseStatus(json: string, where: string): Omit<MinecraftStatus, 'latencyMs'> {
  let raw: unknown
  try {
    raw = JSON.parse(json)
  } catch {
    throw new Error(`status is not JSON`)
  }
  try {
    return readStatus(raw)
  } catch (err) {
    if (err instanceof ShapeError)
      throw new Error(`status JSON from ${where} lacks ${err.path}`, { cause: err })
    throw err
  }
}

/**
 * The status JSON as servers send it; only what we read is checked, by hand (the watch path loads
 * no zod). The rules are `StatusJson` in slp-schema.ts; test/runner/slp.test.ts holds them together.
 */
export function readStatus(raw: unknown): Omit<MinecraftStatus, 'latencyMs'> {
  need(isObject(raw), '')
  const version = raw.version
  need(isObject(version), 'version')
  const name = field(version, 'name', isString, 'version')
  const protocol = field(version, 'protocol', isInt, 'version')
  let players = { online: 0, max: 0 }
  if (raw.players !== undefined) {
    const p = raw.players
    need(isObject(p), 'players')
    players = {
      max: field(p, 'max', isInt, 'players'),
      online: field(p, 'online', isInt, 'players'),
    }
    if (p.sample !== undefined) {
      need(Array.isArray(p.sample), 'players.sample')
      p.sample.forEach((entry: unknown, i) => {
        const path = `players.sample.${i}`
        need(isObject(entry), path)
        field(entry, 'name', isString, path)
        field(entry, 'id', isString, path)
      })
    }
  }
  if (raw.favicon !== undefined) need(isString(raw.favicon), 'favicon')
  let motd = ''
  if (raw.description !== undefined) {
    need(isTextComponent(raw.description), 'description')
    motd = componentText(raw.description)
  }
  return { version: name, protocol, motd, playersOnline: players.online, playersMax: players.max }
}

function isTextComponent(v: unknown): v is TextComponent {
  if (isString(v)) return true
  if (Array.isArray(v)) return v.every(isTextComponent)
  if (!isObject(v)) return false
  if (v.text !== undefined && !isString(v.text)) return false
  return v.extra === undefined || (Array.isArray(v.extra) && v.extra.every(isTextComponent))
}

/** Latency as people read it: milliseconds with one decimal. */
function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10
}
