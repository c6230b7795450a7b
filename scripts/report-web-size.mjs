// Prints the dashboard's initial JS size (gzip), the figure the 150 KB budget is about.
import { readFileSync, readdirSync } from 'node:fs'
import { gzipSync } from 'node:zlib'

const BUDGET_KB = 150
const dist = new URL('../web/dist/', import.meta.url)
const html = readFileSync(new URL('index.html', dist), 'utf8')
const initial = [
  ...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="\/(assets\/[^"]+\.js)"/g),
].map((m) => m[1])
let total = 0
for (const file of initial) total += gzipSync(readFileSync(new URL(file, dist))).length
const all = readdirSync(new URL('assets/', dist)).filter((f) => f.endsWith('.js')).length
const kb = total / 1024
console.log(
  `web: initial JS ${kb.toFixed(1)} KB gzip in ${initial.length} file(s) (${all} JS file(s) in all; budget ${BUDGET_KB} KB)`,
)
if (kb > BUDGET_KB) {
  console.error(`web: initial JS is over the ${BUDGET_KB} KB gzip budget`)
  process.exit(1)
}
