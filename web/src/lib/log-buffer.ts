import type { DeploymentLogLine } from '../../../core/protocol'

/**
 * Every log line seen so far, in seq order, kept outside React state: 100,000 lines must not be
 * copied on each batch. `version` changes when lines are added, to re-render readers.
 */
export class LogBuffer {
  readonly lines: DeploymentLogLine[] = []
  lastSeq = 0

  /** Appends lines after the last one kept; replays and overlaps are dropped, never doubled. */
  append(lines: readonly DeploymentLogLine[]): boolean {
    let added = false
    for (const line of lines) {
      if (line.seq <= this.lastSeq) continue
      this.lines.push(line)
      this.lastSeq = line.seq
      added = true
    }
    return added
  }
}
