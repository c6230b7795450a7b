import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ProxmoxClient } from '../../runner/src/proxmox/client'
import type { ProxmoxTaskError } from '../../runner/src/proxmox/errors'
import { parseUpid } from '../../runner/src/proxmox/upid'
import { createTransport, type Transport } from '../../runner/src/proxmox/transport'
import { FAST, specFor, startHarness, type Harness } from './helpers'

/** The simulator behaves like PVE where docs/proxmox-api.md says how (section in each name). */
describe('the simulator as a PVE', () => {
  let h: Harness
  let client: ProxmoxClient
  let raw: Transport
  beforeAll(async () => {
    h = await startHarness()
    client = new ProxmoxClient(h.conn, { ...FAST, maxRetries: 0 })
    raw = createTransport({
      apiUrl: h.sim.url,
      tls: { mode: 'fingerprint', fingerprint: h.sim.fingerprint },
      warn: () => {},
      requestTimeoutMs: 5_000,
    })
  })
  afterAll(async () => {
    raw.close()
    client.close()
    await h.close()
  })

  async function cloneVm(): Promise<number> {
    const newid = await client.nextId()
    const upid = await client.callTask('POST', '/nodes/pve1/qemu/9000/clone', { newid, full: true })
    await client.waitTask(upid ?? '', { timeoutMs: 5_000 })
    return newid
  }

  it('answers nextid as a JSON string (#json-types)', async () => {
    const res = await raw.request(
      'GET',
      '/api2/json/cluster/nextid',
      { Authorization: `PVEAPIToken=${h.conn.tokenId}=${h.conn.tokenSecret}` },
      null,
    )
    expect(res.body).toMatch(/^\{"data":"\d+"\}$/)
  })

  it('answers 401 No ticket with an empty body and Connection: close without credentials (#authentication)', async () => {
    const res = await raw.request('GET', '/api2/json/version', {}, null)
    expect([res.status, res.reason, res.body]).toEqual([401, 'No ticket', ''])
  })

  it('names a clone task after the source VM in a UPID of the real format (#upids)', async () => {
    const newid = await client.nextId()
    const upid = await client.callTask('POST', '/nodes/pve1/qemu/9000/clone', { newid, full: true })
    expect(parseUpid(upid ?? '')).toMatchObject({
      node: 'pve1',
      type: 'qmclone',
      id: '9000',
      user: 'deployer@pve!pgd',
    })
    await client.waitTask(upid ?? '', { timeoutMs: 5_000 })
  })

  it('says "no such task" when a task is read on another node (#tasks)', async () => {
    const newid = await client.nextId()
    const upid =
      (await client.callTask('POST', '/nodes/pve1/qemu/9000/clone', { newid, full: true })) ?? ''
    await client.waitTask(upid, { timeoutMs: 5_000 })
    await expect(
      client.call('GET', `/nodes/pve2/tasks/${encodeURIComponent(upid)}/status`),
    ).rejects.toThrow('(upid: no such task)')
  })

  it('fails a start of the template inside the task, behind an HTTP 200 (#templates)', async () => {
    const upid = await client.callTask('POST', '/nodes/pve1/qemu/9000/status/start', {})
    const err = await client.waitTask(upid ?? '', { timeoutMs: 5_000 }).catch((e: unknown) => e)
    expect((err as ProxmoxTaskError).exitstatus).toBe("you can't start a vm if it's a template")
  })

  it('refuses a linked clone onto a chosen storage (#clone)', async () => {
    await expect(
      client.call('POST', '/nodes/pve1/qemu/9000/clone', {
        newid: 990,
        full: false,
        storage: 'local-lvm',
      }),
    ).rejects.toThrow("Proxmox 500: parameter 'storage' not allowed for linked clones")
  })

  it('refuses to shrink a disk, inside the resize task (#resize)', async () => {
    const vmid = await cloneVm()
    const upid = await client.callTask('PUT', `/nodes/pve1/qemu/${vmid}/resize`, {
      disk: 'scsi0',
      size: '1G',
    })
    await expect(client.waitTask(upid ?? '', { timeoutMs: 5_000 })).rejects.toThrow(
      'shrinking disks is not supported',
    )
  })

  it('refuses to destroy a running VM synchronously (#destroy)', async () => {
    const vmid = await cloneVm()
    await client.waitTask(
      (await client.callTask('POST', `/nodes/pve1/qemu/${vmid}/status/start`, {})) ?? '',
      { timeoutMs: 5_000 },
    )
    await expect(
      client.call('DELETE', `/nodes/pve1/qemu/${vmid}`, { purge: true }),
    ).rejects.toThrow(`Proxmox 500: VM ${vmid} is running - destroy failed`)
  })

  it('gives the clone new MACs with the Proxmox prefix and normalises net0 and tags (#config)', async () => {
    const vmid = await cloneVm()
    const upid = await client.callTask('POST', `/nodes/pve1/qemu/${vmid}/config`, {
      net0: 'virtio,firewall=1,bridge=vmbr0',
      tags: 'Game,pgd;alpha',
    })
    await client.waitTask(upid ?? '', { timeoutMs: 5_000 })
    const cfg = (await client.call('GET', `/nodes/pve1/qemu/${vmid}/config`)) as Record<
      string,
      unknown
    >
    expect(cfg.net0).toMatch(
      /^virtio=BC:24:11:[0-9A-F]{2}:[0-9A-F]{2}:[0-9A-F]{2},bridge=vmbr0,firewall=1$/,
    )
    expect(cfg.tags).toBe('alpha;game;pgd')
  })

  it('returns integers as numbers and memory as a string in the config (#json-types)', async () => {
    const vmid = await cloneVm()
    const cfg = (await client.call('GET', `/nodes/pve1/qemu/${vmid}/config`)) as Record<
      string,
      unknown
    >
    expect([typeof cfg.cores, typeof cfg.memory, typeof cfg.digest]).toEqual([
      'number',
      'string',
      'string',
    ])
  })

  it('answers 403 with the path and privilege a token lacks (#errors)', async () => {
    const h2 = await startHarness(
      {
        tokens: [
          { tokenId: 'deployer@pve!pgd', secret: 'x', privileges: { '/vms': ['VM.Audit'] } },
        ],
      },
      {},
      { tokenSecret: 'x' },
    )
    try {
      await expect(h2.steps.allocateAndClone(specFor(), h2.ctx)).rejects.toThrow(
        'Permission check failed (/vms/9000, VM.Clone)',
      )
    } finally {
      await h2.close()
    }
  })
})
