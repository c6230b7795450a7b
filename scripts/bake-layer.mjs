#!/usr/bin/env node
// Prints (or with --write, stores in core/bake.ts) the layer version of each bakeable game: the
// SHA-256 over its base-layer files under ansible/ (core/bake.ts, BAKE_LAYER_FILES).
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bakeTs = join(root, 'core/bake.ts')

/** The layer files of each game, read from core/bake.ts's BAKE_LAYER_FILES. */
function layerFiles(source) {
  const block = /BAKE_LAYER_FILES = \{([\s\S]*?)\n\} as const/.exec(source)?.[1] ?? ''
  const out = {}
  for (const m of block.matchAll(/(\w+): \[([\s\S]*?)\]/g)) {
    out[m[1]] = [...m[2].matchAll(/'([^']+)'/g)].map((f) => f[1])
  }
  return out
}

/** The layer version of one game's files. */
export function layerHash(files) {
  const h = createHash('sha256')
  for (const f of files) {
    h.update(f)
      .update('\0')
      .update(readFileSync(join(root, 'ansible', f)))
      .update('\0')
  }
  return h.digest('hex').slice(0, 10)
}

export function currentLayers() {
  const files = layerFiles(readFileSync(bakeTs, 'utf8'))
  return Object.fromEntries(Object.entries(files).map(([g, fs]) => [g, layerHash(fs)]))
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const layers = currentLayers()
  if (process.argv.includes('--write')) {
    let source = readFileSync(bakeTs, 'utf8')
    for (const [game, hash] of Object.entries(layers)) {
      source = source.replace(
        new RegExp(`(BAKE_LAYERS: Record<BakeGame, string> = \\{[\\s\\S]*?${game}: )'[^']*'`),
        `$1'${hash}'`,
      )
    }
    writeFileSync(bakeTs, source)
  }
  console.log(JSON.stringify(layers))
}
