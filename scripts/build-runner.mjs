// Bundles the runner into an executable ESM file, dist/runner/pgd-runner.mjs, and the modules it
// imports on demand, dist/runner/chunks/*.mjs (they travel together).
// Usage: node scripts/build-runner.mjs [outfile]
import { execFileSync } from 'node:child_process'
import { cpSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { basename, dirname, extname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/**
 * Node built-ins (`node:*`) are loaded with require(), when the module that imports them is first
 * evaluated, instead of as ESM imports hoisted to the top of the bundle. Two reasons, both about
 * the idle runner's memory: an ESM import of a built-in reads every export, which runs
 * lazy getters such as `http.WebSocket` (loads undici, ~14 MB), `tls.rootCertificates` (parses
 * the CA store) and `crypto.webcrypto`; and a hoisted import loads `node:https`, `node:tls`,
 * `node:child_process`… at start even though only a job's executors (imported lazily) use them.
 */
const builtinsViaRequire = {
  name: 'builtins-via-require',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) =>
      args.namespace === 'builtin'
        ? { path: args.path, external: true }
        : { path: args.path, namespace: 'builtin' },
    )
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)})`,
      loader: 'js',
    }))
  },
}

/**
 * Builds the runner bundle at `outfile` (node ≥ 22, ESM, dependencies inlined), with its chunks in
 * `chunks/` beside it. What only a job, a registration or a watch round needs (zod and the
 * protocol's schemas, the executors, the Proxmox client) is split into chunks that are read when
 * first imported: even unevaluated, that code in the entry file cost an idle runner ~9 MB of
 * memory, parsing it.
 * @param {{ outfile?: string }} [options]
 * @returns {Promise<string>} the bundle's path
 */
export async function buildRunner({ outfile = resolve(root, 'dist/runner/pgd-runner.mjs') } = {}) {
  const { version } = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'))
  const outdir = dirname(outfile)
  rmSync(resolve(outdir, 'chunks'), { recursive: true, force: true })
  await build({
    entryPoints: { [basename(outfile, extname(outfile))]: resolve(root, 'runner/src/cli.ts') },
    outdir,
    outExtension: { '.js': extname(outfile) || '.mjs' },
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    // Node built-ins are require()d (builtinsViaRequire, above); an ESM bundle needs a real require.
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __pgdCreateRequire } from 'node:module'\nconst require = __pgdCreateRequire(import.meta.url)",
    },
    define: { __PGD_RUNNER_VERSION__: JSON.stringify(version) },
    plugins: [builtinsViaRequire],
    legalComments: 'none',
    logLevel: 'warning',
  })
  // The game playbooks and their roles travel with the bundle: the runner runs them.
  const ansible = resolve(dirname(outfile), 'ansible')
  for (const name of readdirSync(resolve(root, 'ansible'))) {
    if (/^(provision|bake)_.*\.yml$/.test(name) || name === 'roles' || name === 'ansible.cfg') {
      cpSync(resolve(root, 'ansible', name), resolve(ansible, name), { recursive: true })
    }
  }
  // The chunks and the playbooks again as one archive, which install_runner.yml copies and
  // unpacks: one file to compare instead of one per file (minutes on a slow host). Built the
  // same way every time (names sorted, no dates, no owners), so an unchanged build is unchanged.
  execFileSync('tar', [
    '--create',
    `--file=${resolve(outdir, 'files.tar')}`,
    '--sort=name',
    '--mtime=@0',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '--mode=u=rwX,go=rX',
    `--directory=${outdir}`,
    'chunks',
    'ansible',
  ])
  return outfile
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildRunner({ outfile: process.argv[2] ? resolve(process.argv[2]) : undefined })
  console.log(`runner bundle: ${out}`)
}
