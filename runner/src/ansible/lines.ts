/** Turns a byte stream into whole lines (UTF-8 safe across chunk boundaries). */
export class LineSplitter {
  private readonly decoder = new TextDecoder()
  private rest = ''

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Uint8Array): void {
    const text = this.rest + this.decoder.decode(chunk, { stream: true })
    const lines = text.split('\n')
    this.rest = lines.pop() ?? ''
    for (const line of lines) this.onLine(line.replace(/\r$/, ''))
  }

  /** Emits a last line that had no newline. */
  end(): void {
    const tail = this.rest + this.decoder.decode()
    this.rest = ''
    if (tail) this.onLine(tail.replace(/\r$/, ''))
  }
}

/** A function replacing every occurrence of the given secrets with `***`. */
export function redactor(secrets: readonly string[]): (line: string) => string {
  const list = secrets.filter((s) => s.length > 0).sort((a, b) => b.length - a.length)
  if (list.length === 0) return (line) => line
  return (line) => list.reduce((acc, secret) => acc.split(secret).join('***'), line)
}
