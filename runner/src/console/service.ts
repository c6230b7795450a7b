import type { FrameBody, RunnerToServer, ServerToRunner } from '../../../core/protocol'
import type { Logger } from '../logger'
import { consoleCommand } from './rcon-command'
import { JournalStream, MAX_JOURNAL_STREAMS } from './journal'

type Frame<T extends ServerToRunner['type']> = Extract<ServerToRunner, { type: T }>

/**
 * What the runner does for someone looking at a deployment: a console command, and the game's
 * journal streams the hub opens and closes (one per watching dashboard). Never a job: nothing is
 * spooled or resumed; a stream that breaks ends, and the dashboard says so.
 */
export class OperateService {
  private readonly streams = new Map<string, JournalStream>()

  constructor(
    private readonly send: (frame: FrameBody<RunnerToServer>) => void,
    private readonly privateKeyPath: string,
    private readonly log: Logger,
  ) {}

  async console(frame: Frame<'console.request'>): Promise<void> {
    const { target } = frame
    this.log.info(`console ${frame.requestId}: a command for ${target.host}:${target.port}`)
    const result = await consoleCommand(target, frame.command)
    if (result.error) this.log.warn(`console ${frame.requestId}: ${result.error.message}`)
    this.send({ type: 'console.result', requestId: frame.requestId, ...result })
  }

  openJournal(frame: Frame<'journal.open'>): void {
    const { streamId, target } = frame
    if (this.streams.has(streamId)) return
    if (this.streams.size >= MAX_JOURNAL_STREAMS) {
      const error = `this runner already follows ${MAX_JOURNAL_STREAMS} server logs`
      this.send({ type: 'journal.end', streamId, error })
      return
    }
    this.log.info(`journal ${streamId}: following ${target.unit} on ${target.host}`)
    const stream = new JournalStream(target, this.privateKeyPath, {
      lines: (lines) => this.send({ type: 'journal.lines', streamId, lines }),
      end: (error) => {
        this.streams.delete(streamId)
        this.log.info(`journal ${streamId}: ended${error ? `: ${error}` : ''}`)
        this.send({ type: 'journal.end', streamId, ...(error ? { error } : {}) })
      },
    })
    this.streams.set(streamId, stream)
    stream.start().catch((err: unknown) => {
      this.streams.delete(streamId)
      const error = `cannot start: ${err instanceof Error ? err.message : String(err)}`
      this.send({ type: 'journal.end', streamId, error })
    })
  }

  closeJournal(streamId: string): void {
    this.streams.get(streamId)?.stop()
  }

  /** The runner stops: every SSH session ends. */
  stopAll(): void {
    for (const stream of this.streams.values()) stream.stop()
  }
}
