import type { ServerToRunner } from '../../../core/protocol'
import { parseFrame } from '../../../core/protocol/codec'
import { PROTOCOL_VERSION } from '../../../core/protocol/constants'

type Welcome = Extract<ServerToRunner, { type: 'welcome' }>
export type ParsedServerFrame = { ok: true; frame: ServerToRunner } | { ok: false; error: string }

/**
 * A frame from the server on the control socket. The `welcome` (all an idle runner receives,
 * besides heartbeats) is checked by hand with the rules of the `ServerToRunner` schema, so a
 * connected runner with no work does not load zod and the protocol's schemas (~20 MB).
 * A `watch` frame is checked by hand too (watch-frame.ts); one that check refuses goes through
 * its own schema (core/protocol/watch.ts), so watching loads neither the rest of the protocol
 * nor the game modules. Every other frame, and a welcome the hand check
 * refuses (for the schema's error message), goes through the schema, imported on first use; test/runner/control-frames.test.ts holds the two
 * together.
 */
export function parseServerFrame(text: string): ParsedServerFrame | Promise<ParsedServerFrame> {
  const welcome = welcomeFrame(text)
  if (welcome) return { ok: true, frame: welcome }
  // A runner between jobs receives watch lists: checked by hand (no zod); one the hand check
  // refuses goes to their schema alone (for its error), not the whole protocol's.
  if (text.includes('"type":"watch"')) {
    return import('./watch-frame').then(async ({ watchFrame }) => {
      const watch = watchFrame(text)
      if (watch) return { ok: true, frame: watch }
      const { WatchFrame } = await import('../../../core/protocol/watch')
      const parsed = parseFrame(WatchFrame, text)
      return parsed.ok ? parsed : parseWithProtocol(text)
    })
  }
  return parseWithProtocol(text)
}

function parseWithProtocol(text: string): Promise<ParsedServerFrame> {
  return import('../../../core/protocol').then(({ ServerToRunner }) =>
    parseFrame(ServerToRunner, text),
  )
}

/** The frame as the schema would return it (unknown keys dropped), or null if any rule fails. */
export function welcomeFrame(text: string): Welcome | null {
  // Cheap test first: job assignments can be large and are not welcomes.
  if (!text.includes('"welcome"')) return null
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return null
  }
  if (typeof json !== 'object' || json === null) return null
  const { v, type, runnerId, heartbeatIntervalMs } = json as Record<string, unknown>
  if (v !== PROTOCOL_VERSION || type !== 'welcome' || typeof runnerId !== 'string') return null
  if (typeof heartbeatIntervalMs !== 'number') return null
  if (!Number.isSafeInteger(heartbeatIntervalMs) || heartbeatIntervalMs <= 0) return null
  return { v: PROTOCOL_VERSION, type: 'welcome', runnerId, heartbeatIntervalMs }
}
