#!/usr/bin/env node
// Extracts the Proxmox VE API schema of the endpoints this product uses from Proxmox's own API
// viewer data (`api-viewer/apidata.js` in the public pve-docs repository, the file behind
// https://pve.proxmox.com/pve-docs/api-viewer/) into test/pve-sim/pve-api-subset.json, which the
// simulator validates every request and answer against. The endpoint list is
// test/pve-sim/pve-api-endpoints.txt. The facts in the output are Proxmox's; this script, the
// layout of its output and its checks are ours.
//
// Usage (npm run pve:schema -- …):
//   --pve-docs DIR [--ref REV]   a git clone of https://github.com/proxmox/pve-docs (or
//                                git://git.proxmox.com/git/pve-docs.git): reads apidata.js, the
//                                commit and the version (debian/changelog) at REV (default HEAD)
//   --apidata FILE|URL --version X.Y.Z [--commit SHA]
//                                the file itself, e.g. https://raw.githubusercontent.com/proxmox/
//                                pve-docs/<commit>/api-viewer/apidata.js
//   --out FILE                   default test/pve-sim/pve-api-subset.json
//   --endpoints FILE             default test/pve-sim/pve-api-endpoints.txt
//   --check                      compare with --out instead of writing it (exit 1 if different)
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const METHODS = ['GET', 'POST', 'PUT', 'DELETE']
/** Oldest pve-docs release whose schema we accept: older ones lack fields the simulator checks. */
const MIN_VERSION = [9, 1, 3]

/** `METHOD /path` lines of the endpoint list; `#` starts a comment. */
export function readEndpointList(text) {
  const keys = []
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim()
    if (line === '') continue
    const m = /^(GET|POST|PUT|DELETE) (\/[A-Za-z0-9_{}/.-]*)$/.exec(line)
    if (!m) throw new Error(`endpoint list line ${i + 1}: expected "METHOD /path", got "${raw}"`)
    const key = `${m[1]} ${m[2]}`
    if (keys.includes(key)) throw new Error(`endpoint list line ${i + 1}: ${key} is listed twice`)
    keys.push(key)
  }
  return keys
}

/** apidata.js is `const apiSchema = [ …JSON… ];`: the JSON tree of every API path. */
export function parseApidata(text) {
  const start = text.indexOf('[')
  const end = text.lastIndexOf(']')
  if (!/^\s*(const|var|let)\s+apiSchema\s*=\s*\[/.test(text) || start < 0 || end < start) {
    throw new Error('not an apidata.js file: expected "const apiSchema = [ … ];"')
  }
  const tree = JSON.parse(text.slice(start, end + 1))
  const byKey = new Map()
  const walk = (node, depth) => {
    if (depth > 64 || typeof node !== 'object' || node === null) return
    for (const method of METHODS) {
      const info = node.info?.[method]
      if (info) byKey.set(`${method} ${node.path}`, info)
    }
    for (const child of node.children ?? []) walk(child, depth + 1)
  }
  for (const top of tree) walk(top, 0)
  return byKey
}

/**
 * The subset file: where it came from, then each listed endpoint's schema as Proxmox publishes
 * it (path and method first), in the list's order. Throws naming every endpoint not found.
 */
export function buildSubset({ apidata, keys, source }) {
  const all = parseApidata(apidata)
  const missing = keys.filter((k) => !all.has(k))
  if (missing.length > 0) {
    throw new Error(
      `not in this apidata.js (check the spelling or the version): ${missing.join(', ')}`,
    )
  }
  const endpoints = {}
  for (const key of keys) {
    const [method, path] = key.split(' ')
    endpoints[key] = { path, method, ...all.get(key) }
  }
  return {
    generator: 'npm run pve:schema (scripts/pve-schema.mjs); do not edit by hand',
    source: {
      repository: 'https://github.com/proxmox/pve-docs',
      file: 'api-viewer/apidata.js',
      ...source,
      sha256: createHash('sha256').update(apidata).digest('hex'),
      endpoints_in_file: all.size,
    },
    endpoints,
  }
}

function checkVersion(version) {
  const parts = /^(\d+)\.(\d+)\.(\d+)/.exec(version)?.slice(1).map(Number)
  if (!parts) throw new Error(`--version must look like 9.1.3, got "${version}"`)
  for (let i = 0; i < 3; i++) {
    if (parts[i] > MIN_VERSION[i]) return
    if (parts[i] < MIN_VERSION[i])
      throw new Error(`pve-docs ${version} is older than ${MIN_VERSION.join('.')}; use a newer one`)
  }
}

async function readSource(values) {
  if (values['pve-docs']) {
    const git = (...args) =>
      execFileSync('git', ['-C', values['pve-docs'], ...args], { maxBuffer: 64 << 20 }).toString()
    const ref = values.ref ?? 'HEAD'
    const commit = git('rev-parse', `${ref}^{commit}`).trim()
    const changelog = git('show', `${commit}:debian/changelog`)
    const version = /^pve-docs \(([^)]+)\)/.exec(changelog)?.[1]
    if (!version) throw new Error('cannot read the version from debian/changelog')
    return {
      apidata: git('show', `${commit}:api-viewer/apidata.js`),
      source: { commit, pve_docs_version: version },
    }
  }
  if (!values.apidata || !values.version) {
    throw new Error('give --pve-docs DIR, or --apidata FILE|URL with --version (see --help)')
  }
  const apidata = /^https?:\/\//.test(values.apidata)
    ? await fetch(values.apidata).then((r) => {
        if (!r.ok) throw new Error(`${values.apidata} answered ${r.status}`)
        return r.text()
      })
    : readFileSync(values.apidata, 'utf8')
  return {
    apidata,
    source: {
      ...(values.commit ? { commit: values.commit } : {}),
      pve_docs_version: values.version,
    },
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      'pve-docs': { type: 'string' },
      ref: { type: 'string' },
      apidata: { type: 'string' },
      version: { type: 'string' },
      commit: { type: 'string' },
      out: { type: 'string', default: resolve(root, 'test/pve-sim/pve-api-subset.json') },
      endpoints: { type: 'string', default: resolve(root, 'test/pve-sim/pve-api-endpoints.txt') },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    const usage = readFileSync(fileURLToPath(import.meta.url), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('//'))
      .map((l) => l.replace(/^\/\/ ?/, ''))
    process.stdout.write(`${usage.join('\n')}\n`)
    return
  }
  const { apidata, source } = await readSource(values)
  checkVersion(source.pve_docs_version)
  const keys = readEndpointList(readFileSync(values.endpoints, 'utf8'))
  const text = `${JSON.stringify(buildSubset({ apidata, keys, source }), null, 1)}\n`
  const out = relative(process.cwd(), values.out)
  if (values.check) {
    const current = readFileSync(values.out, 'utf8')
    if (current !== text) {
      process.stderr.write(`${out} is not what this apidata.js gives: run npm run pve:schema\n`)
      process.exit(1)
    }
    process.stdout.write(`${out} is up to date (${keys.length} endpoints)\n`)
    return
  }
  writeFileSync(values.out, text)
  process.stdout.write(
    `${out}: ${keys.length} endpoints from pve-docs ${source.pve_docs_version}\n`,
  )
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`pve:schema: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  })
}
