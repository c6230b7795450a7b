import { afterEach, describe, expect, it } from 'vitest'
import { requiredGrants } from '../../core/proxmox-privileges'
import type { ConnectionCheck } from '../../core/protocol'
import { startHarness, type Harness } from './helpers'

const TOKEN = 'deployer@pve!pgd'

/** The grants docs/proxmox-token.md gives (pool pgd, template 9000, local-lvm, backups on local, vmbr0), as ACLs. */
function documentedAcls(without: { path: string; privilege: string } | null = null) {
  const acls: Record<string, string[]> = {}
  const scope = {
    pool: 'pgd',
    templateVmid: 9000,
    storage: 'local-lvm',
    backupStorage: 'local',
    bridge: 'vmbr0',
  }
  for (const g of requiredGrants(scope)) {
    acls[g.path] = g.privileges.filter(
      (p) => !(without && without.path === g.path && without.privilege === p),
    )
  }
  return acls
}

/** The setup wizard's "Test connection", run on a runner. */
describe('test connection', () => {
  let h: Harness | null = null
  afterEach(async () => {
    await h?.close()
    h = null
  })

  const failing = (checks: ConnectionCheck[]): ConnectionCheck[] => checks.filter((c) => !c.ok)

  it('passes every check against a correctly set-up cluster', async () => {
    h = await startHarness()
    const checks = await h.steps.testConnection()
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['API', true],
      ['Node', true],
      ['Pool', true],
      ['Permissions', true],
      ['Template', true],
      ['Storage', true],
      ['Bridge', true],
    ])
  })

  it('explains privilege separation when the token has no permissions of its own', async () => {
    h = await startHarness(
      { tokens: [{ tokenId: 'deployer@pve!pgd', secret: 's3cret', privileges: {} }] },
      {},
      { tokenSecret: 's3cret' },
    )
    const [perm] = failing(await h.steps.testConnection())
    expect(perm?.name).toBe('Permissions')
    expect(perm?.message).toContain('VM.Clone on /vms/9000')
    expect(perm?.fix).toMatch(/Privilege Separation/)
    // Every grant, since the token has none: four roles, five ACLs (the backup storage's too).
    expect(perm?.commands).toHaveLength(9)
  })

  it('passes with a token that holds exactly the documented grants, on the pool only', async () => {
    h = await startHarness(
      { tokens: [{ tokenId: TOKEN, secret: 's3cret', privileges: documentedAcls() }] },
      {},
      { tokenSecret: 's3cret' },
    )
    const checks = await h.steps.testConnection()
    expect(failing(checks)).toEqual([])
    expect(checks.find((c) => c.name === 'Permissions')?.message).toBe(
      'the token may clone the template, and configure, power and delete VMs in /pool/pgd',
    )
  })

  it('names the missing privilege and the pveum commands that grant it', async () => {
    h = await startHarness(
      {
        tokens: [
          {
            tokenId: TOKEN,
            secret: 's3cret',
            privileges: documentedAcls({ path: '/pool/pgd', privilege: 'VM.PowerMgmt' }),
          },
        ],
      },
      {},
      { tokenSecret: 's3cret' },
    )
    const [perm, ...rest] = failing(await h.steps.testConnection())
    expect(rest).toEqual([])
    expect(perm?.message).toBe('the token lacks VM.PowerMgmt on /pool/pgd')
    expect(perm?.commands).toEqual([
      'pveum role add PGDVMs --privs VM.Allocate,VM.Audit,VM.Config.CPU,VM.Config.Cloudinit,VM.Config.Disk,VM.Config.Memory,VM.Config.Network,VM.Config.Options,VM.PowerMgmt,VM.Backup,VM.Snapshot',
      "pveum acl modify /pool/pgd --users deployer@pve --tokens 'deployer@pve!pgd' --roles PGDVMs",
    ])
    expect(perm?.fix).toContain('pveum role modify')
  })

  it('says when the resource pool does not exist, with the commands that create it', async () => {
    h = await startHarness({}, {}, { pool: 'games' })
    const [pool] = failing(await h.steps.testConnection())
    expect(pool).toMatchObject({ name: 'Pool', ok: false, message: "pool 'games' does not exist" })
    expect(pool?.commands).toEqual([
      "pveum pool add games --comment 'Proxmox Game Deployer'",
      "pveum acl modify /pool/games --users deployer@pve --tokens 'deployer@pve!pgd' --roles PGDVMs",
    ])
  })

  it('without a pool, checks the VM privileges on /vms and suggests a pool', async () => {
    h = await startHarness({}, {}, { pool: '' })
    const checks = await h.steps.testConnection()
    expect(failing(checks)).toEqual([])
    expect(checks.find((c) => c.name === 'Pool')?.fix).toContain('Set a resource pool')
    const asked = h.sim.requests
      .filter((r) => r.endpoint === 'GET /access/permissions')
      .map((r) => r.params.path)
    expect(asked).toContain('/vms')
  })

  it('names SDN.Use on the bridge, which PVE 8 and later require for net0', async () => {
    const privileges = {
      '/vms': ['VM.Allocate', 'VM.Audit', 'VM.Clone', 'VM.Config.CPU', 'VM.Config.Memory'],
      '/storage': ['Datastore.AllocateSpace', 'Datastore.Audit'],
    }
    h = await startHarness(
      { tokens: [{ tokenId: 'deployer@pve!pgd', secret: 's3cret', privileges }] },
      {},
      { tokenSecret: 's3cret' },
    )
    const [perm] = failing(await h.steps.testConnection())
    expect(perm?.message).toContain('SDN.Use on /sdn/zones/localnetwork/vmbr0')
  })

  it('says when the template VM is an ordinary VM', async () => {
    h = await startHarness({
      templates: [{ vmid: 9000, name: 'debian12', diskSize: '3584M', template: false }],
    })
    const [tpl] = failing(await h.steps.testConnection())
    expect(tpl?.message).toBe('VM 9000 exists but is not a template')
    expect(tpl?.fix).toContain('Convert to template')
  })

  it('says when the template has no cloud-init drive', async () => {
    h = await startHarness({
      templates: [
        { vmid: 9000, name: 'debian12', diskSize: '3584M', template: true, cloudInitDrive: false },
      ],
    })
    const [tpl] = failing(await h.steps.testConnection())
    expect(tpl?.message).toBe(
      'template VM 9000 has no cloud-init drive, so the VMs would not get their user, keys or address',
    )
    expect(tpl?.fix).toContain('CloudInit Drive')
  })

  it('says when the template does not exist', async () => {
    h = await startHarness({}, {}, { templateVmid: 9100 })
    const [tpl] = failing(await h.steps.testConnection())
    expect(tpl?.name).toBe('Template')
    expect(tpl?.message).toContain(
      "template VM 9100 not found on node pve1: Configuration file 'nodes/pve1/qemu-server/9100.conf' does not exist",
    )
  })

  it('lists the storages when the configured one does not exist', async () => {
    h = await startHarness({}, {}, { storage: 'fast-nvme' })
    const [st] = failing(await h.steps.testConnection())
    expect(st?.message).toBe(
      "storage 'fast-nvme' is not available on this node (storages: local, local-lvm)",
    )
  })

  it('refuses a storage that cannot hold disk images', async () => {
    h = await startHarness({}, {}, { storage: 'local' })
    const [st] = failing(await h.steps.testConnection())
    expect(st?.message).toBe(
      "storage 'local' does not hold VM disks (content: iso,vztmpl,backup,import)",
    )
  })

  it('lists the bridges when the configured one does not exist', async () => {
    h = await startHarness({}, {}, { bridge: 'vmbr9' })
    const [br] = failing(await h.steps.testConnection())
    expect(br?.message).toBe('bridge vmbr9 does not exist on pve1 (bridges: vmbr0)')
  })

  it('stops at the node check when the node is not in the cluster', async () => {
    h = await startHarness({}, {}, { node: 'pve9' })
    const checks = await h.steps.testConnection()
    expect(checks.at(-1)).toMatchObject({
      name: 'Node',
      ok: false,
      message: "node 'pve9' is not in this cluster (nodes: pve1)",
    })
  })

  it('reports a wrong token secret as the one failing check', async () => {
    h = await startHarness({}, {}, { tokenSecret: 'not-the-secret' })
    const checks = await h.steps.testConnection()
    expect(checks).toHaveLength(1)
    expect(checks[0]).toMatchObject({
      name: 'API',
      ok: false,
      message: 'Proxmox rejected the API token (401)',
    })
  })

  it('reports a wrong fingerprint with where to find the right one', async () => {
    h = await startHarness(
      {},
      {},
      { tls: { mode: 'fingerprint', fingerprint: Array(32).fill('AB').join(':') } },
    )
    const [api] = await h.steps.testConnection()
    expect(api).toMatchObject({ name: 'API', ok: false })
    expect(api?.fix).toContain('Certificates')
  })
})
