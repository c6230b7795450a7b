/**
 * A simulated guest's systemd journal: the lines its game writes (start-up, console commands),
 * by unit, and `journalctl` as the VM's sshd runs it for the runner — `-u <unit>`, `-n <N>`,
 * `-f` (follow until the session closes), `--no-pager`, `-o short-iso|cat` — answering with what
 * was written. Anything else is refused as journalctl would refuse it.
 */

export interface JournalEntry {
  at: number
  unit: string
  text: string
}

/** Where a journalctl's output goes (an SSH exec channel). */
export interface JournalOutput {
  write(text: string): void
  /** The exit status, and the end of the command. */
  exit(code: number, stderr?: string): void
}

interface Follower {
  unit: string
  out: JournalOutput
}

/** Kept per VM, at most this many lines (the journal rotates). */
const KEEP = 5_000

export class SimJournal {
  private readonly entries: JournalEntry[] = []
  private readonly followers = new Set<Follower>()

  constructor(private readonly hostname: string) {}

  /** The unit (`minecraft`) writes a line, as its process prints it. */
  write(unit: string, text: string, at = Date.now()): void {
    const entry = { at, unit, text }
    this.entries.push(entry)
    if (this.entries.length > KEEP) this.entries.splice(0, this.entries.length - KEEP)
    for (const f of this.followers) if (f.unit === unit) f.out.write(this.format(entry))
  }

  /** Lines written so far by `unit` (for tests). */
  linesOf(unit: string): string[] {
    return this.entries.filter((e) => e.unit === unit).map((e) => e.text)
  }

  /** Run `command` (a journalctl line); returns a stop function for a following one. */
  run(command: string, out: JournalOutput): () => void {
    const parsed = parseJournalctl(command)
    if ('error' in parsed) {
      out.exit(parsed.status, `${parsed.error}\n`)
      return () => {}
    }
    const { unit, lines, follow } = parsed
    const mine = this.entries.filter((e) => e.unit === unit)
    for (const e of lines === 0 ? [] : mine.slice(-lines)) out.write(this.format(e))
    if (!follow) {
      out.exit(0)
      return () => {}
    }
    const follower = { unit, out }
    this.followers.add(follower)
    return () => this.followers.delete(follower)
  }

  private format(e: JournalEntry): string {
    const iso = new Date(e.at).toISOString().replace(/\.\d+Z$/, '+0000')
    return `${iso} ${this.hostname} ${e.unit}[1234]: ${e.text}\n`
  }
}

/** The parts of a journalctl command line the runner sends; an error for anything else. */
export function parseJournalctl(
  command: string,
): { unit: string; lines: number; follow: boolean } | { error: string; status: number } {
  const words = command.trim().split(/\s+/)
  if (words[0] !== 'journalctl') {
    return { error: `bash: ${words[0] ?? ''}: command not found`, status: 127 }
  }
  let unit: string | null = null
  let lines = 10
  let follow = false
  for (let i = 1; i < words.length; i++) {
    const w = words[i] as string
    const next = () => {
      const value = words[++i]
      if (value === undefined) throw new Error(`option '${w}' requires an argument`)
      return value
    }
    try {
      if (w === '-u' || w === '--unit') unit = next().replace(/\.service$/, '')
      else if (w === '-n' || w === '--lines') {
        const value = next()
        if (!/^\d+$/.test(value)) return { error: `Failed to parse lines '${value}'`, status: 1 }
        lines = Number(value)
      } else if (w === '-f' || w === '--follow') follow = true
      else if (w === '--no-pager') continue
      else if (w === '-o' || w === '--output') {
        const value = next()
        if (value !== 'short-iso' && value !== 'cat') {
          return { error: `Unsupported output mode in this simulator: ${value}`, status: 1 }
        }
      } else return { error: `journalctl: unrecognized option '${w}'`, status: 1 }
    } catch (err) {
      return { error: `journalctl: ${(err as Error).message}`, status: 1 }
    }
  }
  if (!unit) return { error: 'this simulator answers journalctl -u <unit> only', status: 1 }
  return { unit, lines, follow }
}
