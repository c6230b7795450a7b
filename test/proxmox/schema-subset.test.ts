import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { ROUTES } from '../pve-sim/routes'

const run = promisify(execFile)
const ROOT = new URL('../../', import.meta.url).pathname
const SCRIPT = join(ROOT, 'scripts/pve-schema.mjs')
const SUBSET = join(ROOT, 'test/pve-sim/pve-api-subset.json')
const LIST = join(ROOT, 'test/pve-sim/pve-api-endpoints.txt')

interface Subset {
  source: { pve_docs_version: string; commit?: string; sha256: string }
  endpoints: Record<string, { path: string; method: string }>
}

const subset = JSON.parse(readFileSync(SUBSET, 'utf8')) as Subset
const listed = readFileSync(LIST, 'utf8')
  .split('\n')
  .map((l) => l.replace(/#.*/, '').trim())
  .filter((l) => l !== '')

describe('the committed Proxmox API schema subset', () => {
  it('holds exactly the listed endpoints, in the list’s order', () => {
    expect(Object.keys(subset.endpoints)).toEqual(listed)
    for (const [key, ep] of Object.entries(subset.endpoints))
      expect(`${ep.method} ${ep.path}`).toBe(key)
  })

  it('names the Proxmox release it was taken from, 9.1.3 or newer', () => {
    const [major = 0, minor = 0, patch = 0] = subset.source.pve_docs_version.split('.').map(Number)
    expect(major * 1e6 + minor * 1e3 + patch).toBeGreaterThanOrEqual(9_001_003)
    expect(subset.source.commit).toMatch(/^[0-9a-f]{40}$/)
    expect(subset.source.sha256).toMatch(/^[0-9a-f]{64}$/)
  })

  it('covers every endpoint the simulator serves', () => {
    expect(listed).toEqual(expect.arrayContaining(Object.keys(ROUTES)))
  })
})

/** A tiny apidata.js laid out as Proxmox's: a tree of paths, methods under `info`. */
function apidata(version: string): string {
  const tree = [
    {
      path: '/version',
      text: 'version',
      leaf: 1,
      info: { GET: { method: 'GET', name: 'version', returns: { type: 'object' } } },
    },
    {
      path: '/nodes',
      text: 'nodes',
      info: { GET: { method: 'GET', name: 'index', returns: { type: 'array' } } },
      children: [
        {
          path: '/nodes/{node}',
          text: '{node}',
          children: [
            {
              path: '/nodes/{node}/qemu',
              text: 'qemu',
              leaf: 1,
              info: {
                POST: {
                  method: 'POST',
                  name: 'create_vm',
                  permissions: { check: ['perm', '/vms/{vmid}', ['VM.Allocate']] },
                  parameters: { properties: { vmid: { type: 'integer', minimum: 100 } } },
                },
              },
            },
          ],
        },
      ],
    },
  ]
  return `const apiSchema = ${JSON.stringify(tree, null, 3)}\n;\n\n// ${version}\n`
}

describe('npm run pve:schema', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgd-pve-schema-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const files = (name: string, list: string) => {
    writeFileSync(join(dir, 'apidata.js'), apidata('9.1.3'))
    writeFileSync(join(dir, `${name}.txt`), list)
    return ['--apidata', join(dir, 'apidata.js'), '--endpoints', join(dir, `${name}.txt`)]
  }
  const script = (args: string[]) =>
    run(process.execPath, [SCRIPT, ...args], { cwd: ROOT }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    )

  it('copies each listed endpoint from apidata.js, nested paths included, with its source', async () => {
    const out = join(dir, 'ok.json')
    const args = files('ok', '# comment\nGET /version\nPOST /nodes/{node}/qemu  # create\n')
    const r = await script([
      ...args,
      '--version',
      '9.2.0',
      '--commit',
      'a'.repeat(40),
      '--out',
      out,
    ])
    expect(r.code).toBe(0)
    const made = JSON.parse(readFileSync(out, 'utf8')) as Subset & {
      endpoints: Record<string, { name: string; permissions?: unknown }>
    }
    expect(Object.keys(made.endpoints)).toEqual(['GET /version', 'POST /nodes/{node}/qemu'])
    expect(made.endpoints['POST /nodes/{node}/qemu']).toMatchObject({
      path: '/nodes/{node}/qemu',
      method: 'POST',
      name: 'create_vm',
      permissions: { check: ['perm', '/vms/{vmid}', ['VM.Allocate']] },
    })
    expect(made.source).toMatchObject({ pve_docs_version: '9.2.0', commit: 'a'.repeat(40) })

    const check = await script([
      ...args,
      '--version',
      '9.2.0',
      '--commit',
      'a'.repeat(40),
      '--out',
      out,
      '--check',
    ])
    expect(check.code).toBe(0)
    writeFileSync(out, readFileSync(out, 'utf8').replace('create_vm', 'edited'))
    const stale = await script([
      ...args,
      '--version',
      '9.2.0',
      '--commit',
      'a'.repeat(40),
      '--out',
      out,
      '--check',
    ])
    expect(stale.code).toBe(1)
    expect(stale.stderr).toContain('run npm run pve:schema')
  })

  it('names every listed endpoint the file does not have, and writes nothing', async () => {
    const out = join(dir, 'missing.json')
    const args = files('missing', 'GET /version\nGET /nodes/{node}/qemu\nDELETE /pools\n')
    const r = await script([...args, '--version', '9.1.3', '--out', out])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('GET /nodes/{node}/qemu, DELETE /pools')
    expect(() => readFileSync(out)).toThrow()
  })

  it('refuses a list line that is not "METHOD /path", and a release older than 9.1.3', async () => {
    const bad = await script([
      ...files('bad', 'GET /version\nFETCH /nodes\n'),
      '--version',
      '9.1.3',
    ])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('line 2: expected "METHOD /path", got "FETCH /nodes"')
    const old = await script([...files('old', 'GET /version\n'), '--version', '8.4.1'])
    expect(old.code).toBe(1)
    expect(old.stderr).toContain('older than 9.1.3')
  })
})
