import { readFileSync } from 'node:fs'
import { templateJobCommands } from '../../core/template-privileges'
import { describe, expect, it } from 'vitest'
import {
  PGD_ROLES,
  requiredGrants,
  rotateCommands,
  setupCommands,
} from '../../core/proxmox-privileges'

/**
 * The one list of Proxmox privileges (core/proxmox-privileges.ts) against what Proxmox publishes
 * and against docs/proxmox-token.md, so neither can drift from the code.
 */

const DOC = readFileSync(new URL('../../docs/proxmox-token.md', import.meta.url), 'utf8')
const SCHEMA = JSON.parse(
  readFileSync(new URL('../pve-sim/pve-api-subset.json', import.meta.url), 'utf8'),
) as { endpoints: Record<string, { permissions?: { check?: unknown; description?: string } }> }

/** The example the page uses. */
const TEMPLATE_JOB_EXAMPLE = {
  tokenId: 'pgd@pve!runner',
  node: 'pve1',
  imageStorage: 'local',
  pool: 'pgd',
}
const EXAMPLE = {
  tokenId: 'pgd@pve!runner',
  pool: 'pgd',
  templateVmid: 9000,
  storage: 'local-lvm',
  bridge: 'vmbr0',
}

/** `[path, privileges]` of every `perm` test in a published permission check. */
function permTests(check: unknown): [string, string[]][] {
  if (!Array.isArray(check)) return []
  if (check[0] === 'perm') return [[String(check[1]), (check[2] as string[]) ?? []]]
  return check.slice(1).flatMap(permTests)
}

const published = Object.entries(SCHEMA.endpoints).map(([endpoint, ep]) => ({
  endpoint,
  tests: permTests(ep.permissions?.check),
  description: ep.permissions?.description ?? '',
}))

describe('the privileges this product needs', () => {
  it('are each required by an endpoint the runner calls, as Proxmox publishes it', () => {
    for (const [role, privileges] of Object.entries(PGD_ROLES)) {
      for (const priv of privileges) {
        const by = published.filter(
          (p) => p.tests.some(([, list]) => list.includes(priv)) || p.description.includes(priv),
        )
        expect(
          by.map((p) => p.endpoint),
          `${role}: ${priv}`,
        ).not.toEqual([])
      }
    }
  })

  it('give the clone what its published check asks: VM.Clone on the template, VM.Allocate on the pool', () => {
    const clone = published.find((p) => p.endpoint === 'POST /nodes/{node}/qemu/{vmid}/clone')
    expect(clone?.tests).toEqual([
      ['/vms/{vmid}', ['VM.Clone']],
      ['/vms/{newid}', ['VM.Allocate']],
      ['/pool/{pool}', ['VM.Allocate']],
    ])
    const grants = requiredGrants(EXAMPLE)
    const on = (path: string) => grants.find((g) => g.path === path)?.privileges ?? []
    expect(on('/vms/9000')).toContain('VM.Clone')
    expect(on('/pool/pgd')).toContain('VM.Allocate')
    expect(on('/pool/pgd')).not.toContain('VM.Clone')
    // The storage and the bridge, named in the clone's published description.
    expect(clone?.description).toContain('Datastore.AllocateSpace')
    expect(on('/storage/local-lvm')).toEqual(['Datastore.AllocateSpace'])
    expect(clone?.description).toContain('SDN.Use')
    expect(on('/sdn/zones/localnetwork/vmbr0')).toEqual(['SDN.Use'])
  })

  it('leave out SDN.Use before Proxmox VE 8, and put the VM role on /vms without a pool', () => {
    expect(requiredGrants(EXAMPLE, 7).map((g) => g.role)).not.toContain('PGDNetwork')
    expect(requiredGrants({ ...EXAMPLE, pool: '' })[0]).toMatchObject({
      role: 'PGDVMs',
      path: '/vms',
    })
  })
})

describe('docs/proxmox-token.md', () => {
  it('gives every setup command exactly as the code makes it', () => {
    for (const command of setupCommands(EXAMPLE)) expect(DOC).toContain(command)
  })

  it('creates no role the code does not know, with no other privileges', () => {
    const roleLines = DOC.split('\n').filter((l) => l.startsWith('pveum role add '))
    expect(roleLines.sort()).toEqual(
      [...setupCommands(EXAMPLE), ...templateJobCommands(TEMPLATE_JOB_EXAMPLE)]
        .filter((c) => c.startsWith('pveum role add '))
        .sort(),
    )
  })

  it('gives the template job’s one-time commands exactly as the code makes them', () => {
    for (const command of templateJobCommands(TEMPLATE_JOB_EXAMPLE)) expect(DOC).toContain(command)
  })

  it('gives the commands that replace the token', () => {
    for (const command of rotateCommands(EXAMPLE)) expect(DOC).toContain(command)
  })

  it('names every privilege of every role in its table', () => {
    const table = DOC.slice(DOC.indexOf('## What each privilege is for'))
    for (const privileges of Object.values(PGD_ROLES))
      for (const priv of privileges) expect(table).toContain(priv)
  })
})
