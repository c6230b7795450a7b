import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import WebSocket from 'ws'
import { ServerLogFrame } from '../../core/protocol/server-log'
import { waitFor, type ApiClient } from '../e2e/stack'
import { sshRun } from './qemu'

/**
 * What the real-VM tier does with the deployed VM after `ready`, as an admin does it from the
 * dashboard: the console, the server log, a change (docs/console.md, docs/real-vm-tests.md).
 */

const run = promisify(execFile)

export interface ConsoleEntry {
  command: string
  answer: string | null
  error: { code: string; message: string } | null
}

/** One console command through the dashboard's route; the history entry it answers with. */
export async function consoleCommand(api: ApiClient, id: string, command: string) {
  const { entry } = await api.ok<{ entry: ConsoleEntry }>(
    'POST',
    `/api/deployments/${id}/console`,
    { command },
  )
  return entry
}

/** The server log socket as the dashboard's card opens it, with every line and the end frame. */
export function watchServerLog(api: ApiClient, id: string, lines = 50) {
  const url = `${api.url.replace(/^http/, 'ws')}/api/deployments/${id}/server-log?lines=${lines}`
  const ws = new WebSocket(url, { headers: { cookie: api.cookie, origin: api.url } })
  const got: string[] = []
  let end: { code: string; message: string } | null = null
  ws.on('message', (data: Buffer) => {
    const frame = ServerLogFrame.parse(JSON.parse(data.toString()))
    if (frame.type === 'lines') got.push(...frame.lines)
    else end = { code: frame.code, message: frame.message }
  })
  const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()))
  return { ws, got, closed, end: () => end }
}

/**
 * The `journalctl -u <unit> -f` sessions running on the VM (the runner's SSH streams), read with
 * ps: the pattern's brackets keep this very command out of the list.
 */
export async function journalSessionsOnVm(ssh: string[], unit: string): Promise<string[]> {
  const out = await sshRun(ssh, `pgrep -a -f '[j]ournalctl -u ${unit}.service -f' || true`)
  return out.split('\n').filter((l) => l.trim() !== '')
}

/** The runner process's own `ssh … journalctl` children on this host. */
export async function runnerJournalSsh(runnerPid: number): Promise<string[]> {
  const { stdout } = await run('pgrep', [
    '-a',
    '-P',
    String(runnerPid),
    '-f',
    '^ssh .*journalctl',
  ]).catch((err: { code?: number; stdout?: string }) => {
    // pgrep exits 1 when nothing matches.
    if (err.code === 1) return { stdout: '' }
    throw err
  })
  return stdout.split('\n').filter((l) => l.trim() !== '')
}

export interface ChangeDetail {
  deployment: {
    id: string
    status: string
    vmid: number
    lastSeq: number
    config: Record<string, unknown>
    sizing: { cores: number; memoryMiB: number; diskGiB: number }
    result: { motd?: string; version?: string; players?: { max: number } } | null
    lastJob: {
      kind: string
      outcome: string
      error?: string
      rolledBack?: boolean
      endedAt: number
    } | null
  }
}

/** Until the change requested at `since` (or its rollback) has ended and the deployment is ready. */
export async function changeEnded(
  api: ApiClient,
  id: string,
  since: number,
  timeoutMs: number,
  onStep: (step: string) => void,
): Promise<ChangeDetail['deployment']> {
  let step = ''
  let apiFailures = 0
  return waitFor(
    async () => {
      const d = await api
        .ok<ChangeDetail & { deployment: { steps: { name: string; status: string }[] } }>(
          'GET',
          `/api/deployments/${id}`,
        )
        .then(
          (r) => r.deployment,
          (err: unknown) => {
            if (++apiFailures > 30) throw err
            return null
          },
        )
      if (!d) return false
      apiFailures = 0
      const running = d.steps.find((s) => s.status === 'running')?.name ?? ''
      if (running && running !== step) onStep((step = running))
      if (d.status === 'failed') {
        const { lines } = await api.ok<{ lines: { text: string }[] }>(
          'GET',
          `/api/deployments/${id}/logs?after=0&limit=10000`,
        )
        const tail = lines.slice(-60).map((l) => l.text)
        throw new Error(`the change left the deployment failed:\n${tail.join('\n')}`)
      }
      return d.status === 'ready' && d.lastJob?.kind === 'change' && d.lastJob.endedAt >= since && d
    },
    'the change to end',
    timeoutMs,
    2_000,
  )
}

/** MemTotal of the guest's kernel, in MiB. */
export async function guestMemoryMiB(ssh: string[]): Promise<number> {
  const out = await sshRun(ssh, `awk '/^MemTotal:/ { print $2 }' /proc/meminfo`)
  return Math.round(Number(out.trim()) / 1024)
}
