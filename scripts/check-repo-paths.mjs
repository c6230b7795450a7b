// Fails (exit 1, one `file:line: text` per hit) when a tracked file points outside the
// repository: the team's notebook beside the project (`..` + `/shared`) or an absolute path of
// the machines it was built on (`/` + `work/…`). A clone has neither, so such a comment, script or
// link would send readers (or code) to something that does not exist; cite a page under docs/
// or a public upstream source instead. Run first by `npm test`.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

// Built from parts, so this file does not match its own patterns.
const SHARED = ['..', 'shared'].join('/')
const WORK = ['', 'work', ''].join('/')
// The work folder as the start of an absolute path: not preceded by a path or name character, so
// `src/work/x` or `homework/` are not hits.
const ABSOLUTE_WORK = new RegExp(`(^|[^\\w.~/-])${WORK}`)

const root = execFileSync('git', ['rev-parse', '--show-toplevel'], { encoding: 'utf8' }).trim()
const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
  .split('\0')
  .filter((f) => f !== '')

const hits = []
for (const file of files) {
  let content
  try {
    content = readFileSync(`${root}/${file}`)
  } catch {
    continue // listed but absent from the work tree (deleted, not yet committed)
  }
  if (content.includes(0)) continue // binary
  const lines = content.toString('utf8').split('\n')
  lines.forEach((line, i) => {
    if (line.includes(SHARED) || ABSOLUTE_WORK.test(line)) {
      hits.push(`${file}:${i + 1}: ${line.trim().slice(0, 160)}`)
    }
  })
}

if (hits.length > 0) {
  console.error(
    `check-repo-paths: ${hits.length} line(s) point outside the repository (${SHARED} or ${WORK}…); cite docs/ or a public source instead:`,
  )
  for (const hit of hits) console.error(`  ${hit}`)
  process.exit(1)
}
console.log(`check-repo-paths: ${files.length} tracked files, none points outside the repository`)
