// Bundles the runner into one executable ESM file: dist/runner/pgd-runner.mjs.
// Usage: node scripts/build-runner.mjs [outfile]
import { cpSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/**
 * Builds the runner bundle at `outfile` (node ≥ 22, ESM, dependencies inlined).
 * @param {{ outfile?: string }} [options]
 * @returns {Promise<string>} the bundle's path
 */
export async function buildRunner({ outfile = resolve(root, 'dist/runner/pgd-runner.mjs') } = {}) {
  const { version } = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'))
  await build({
    entryPoints: [resolve(root, 'runner/src/cli.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    // ws is CommonJS and calls require() on node built-ins; an ESM bundle needs a real require.
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __pgdCreateRequire } from 'node:module'\nconst require = __pgdCreateRequire(import.meta.url)",
    },
    // ws's optional native speed-ups: absent is fine, ws falls back to JS.
    external: ['bufferutil', 'utf-8-validate'],
    define: { __PGD_RUNNER_VERSION__: JSON.stringify(version) },
    legalComments: 'none',
    logLevel: 'warning',
  })
  // The game playbooks and their roles travel with the bundle: the runner runs them.
  const ansible = resolve(dirname(outfile), 'ansible')
  for (const name of readdirSync(resolve(root, 'ansible'))) {
    if (/^provision_.*\.yml$/.test(name) || name === 'roles' || name === 'ansible.cfg') {
      cpSync(resolve(root, 'ansible', name), resolve(ansible, name), { recursive: true })
    }
  }
  return outfile
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildRunner({ outfile: process.argv[2] ? resolve(process.argv[2]) : undefined })
  console.log(`runner bundle: ${out}`)
}
