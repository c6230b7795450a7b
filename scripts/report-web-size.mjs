// Prints the dashboard's initial JS size (gzip), the figure the 150 KB budget is about; fails
// the build over it.
import { readFileSync, readdirSync } from 'node:fs'
import { gzipSync } from 'node:zlib'

const BUDGET_KB = 150
const dist = new URL('../web/dist/', import.meta.url)
const html = readFileSync(new URL('index.html', dist), 'utf8')
const initial = [
  ...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="\/(assets\/[^"]+\.js)"/g),
].map((m) => m[1])
const gz = (file) => gzipSync(readFileSync(new URL(file, dist))).length
let total = 0
for (const file of initial) total += gz(file)
const assets = readdirSync(new URL('assets/', dist)).filter((f) => f.endsWith('.js'))
// Each language's words are a chunk of their own (web/src/i18n/index.ts), loaded before the
// first render: the first paint needs one of them, counted here at the larger one's size.
const dictionaries = assets.filter((f) => /^(en|fr)-[\w-]+\.js$/.test(f))
if (dictionaries.length !== 2) {
  console.error(`web: expected the en and fr dictionary chunks, found: ${dictionaries.join(', ')}`)
  process.exit(1)
}
const dictionary = Math.max(...dictionaries.map((f) => gz(`assets/${f}`)))
total += dictionary
const kb = total / 1024
// `--json`: the figure alone, for the bench (tools/bench/measure.ts).
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ initialJsGzipKb: kb }))
  process.exit(0)
}
console.log(
  `web: initial JS ${kb.toFixed(1)} KB gzip in ${initial.length} file(s) + the larger language's words (${(dictionary / 1024).toFixed(1)} KB) (${assets.length} JS file(s) in all; budget ${BUDGET_KB} KB)`,
)
if (kb > BUDGET_KB) {
  console.error(`web: initial JS is over the ${BUDGET_KB} KB gzip budget`)
  process.exit(1)
}
