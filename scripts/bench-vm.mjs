#!/usr/bin/env node
// `npm run bench:vm`: the real-VM tier (test/vm, about 40 minutes under TCG, root), its own
// output on stderr, then ONE JSON line on stdout: the cold path (base template, whole playbook)
// and the baked path (game-ready template, base layer skipped) measured in the same run, their
// ratio, the bake, the per-step split and the tier's wall time (test/vm/bench.ts).
// Exits with the tier's status: CI runs the tier through this, once.
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const benchFile = join(root, '.cache/vm/bench.json')
rmSync(benchFile, { force: true })
const started = performance.now()
const tier = spawnSync('npx', ['vitest', 'run', '--config', 'test/vm/vitest.vm.config.ts'], {
  cwd: root,
  stdio: ['ignore', process.stderr, process.stderr],
})
const wall = Math.round((performance.now() - started) / 100) / 10
let line
try {
  line = JSON.parse(readFileSync(benchFile, 'utf8'))
} catch {
  line = { bench: 'vm', error: 'the tier wrote no measurements (see above)' }
}
console.log(JSON.stringify({ ...line, tier_wall_s: wall, tier_passed: tier.status === 0 }))
process.exit(tier.status ?? 1)
