import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTransport, type Transport } from '../../runner/src/proxmox/transport'
import { checkReturn } from '../pve-sim/returns'
import { loadEndpoints } from '../pve-sim/schema'
import { specFor, startHarness, type Harness } from './helpers'

/**
 * The simulator validates every request against Proxmox's own API schema (test/pve-sim/schema.ts),
 * so a
 * flow that passes here sends only what a real PVE accepts.
 */
describe('requests against the real PVE schema', () => {
  let h: Harness
  let raw: Transport
  beforeAll(async () => {
    h = await startHarness({}, {}, {}, true)
    raw = createTransport({
      apiUrl: h.sim.url,
      tls: { mode: 'fingerprint', fingerprint: h.sim.fingerprint },
      warn: () => {},
      requestTimeoutMs: 5_000,
    })
  })
  afterAll(async () => {
    raw.close()
    await h.close()
  })

  /** A hand-made request, to show what the simulator rejects. */
  async function send(method: string, path: string, body: string | null, query = '') {
    const res = await raw.request(
      method,
      `/api2/json${path}${query ? `?${query}` : ''}`,
      {
        Authorization: `PVEAPIToken=${h.conn.tokenId}=${h.conn.tokenSecret}`,
        ...(body !== null ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
      },
      body,
    )
    const json: unknown = res.body ? JSON.parse(res.body) : null
    return {
      status: res.status,
      reason: res.reason,
      errors: (json as { errors?: Record<string, string> } | null)?.errors ?? {},
    }
  }

  it('accepts every request of a whole deploy, lifecycle and teardown', async () => {
    const spec = specFor({
      sshPublicKeys: [specFor().sshPublicKeys[0]!, specFor().sshPublicKeys[0]!],
    })
    const start = h.sim.requests.length
    await h.steps.testConnection()
    const { vmid } = await h.steps.allocateAndClone(spec, h.ctx)
    await h.steps.configure(vmid, spec, h.ctx)
    await h.steps.resizeDisk(vmid, spec, h.ctx)
    await h.steps.start(vmid, spec.deploymentId, h.ctx)
    await h.steps.shutdown(vmid, spec.deploymentId, 5, h.ctx)
    await h.steps.start(vmid, spec.deploymentId, h.ctx)
    await h.steps.stop(vmid, spec.deploymentId, h.ctx)
    await h.steps.start(vmid, spec.deploymentId, h.ctx)
    await h.steps.destroy(vmid, spec.deploymentId, h.ctx)
    await h.steps.destroy(vmid, spec.deploymentId, h.ctx)
    const sent = h.sim.requests.slice(start)
    const invalid = sent.filter((r) => r.endpoint === null || Object.keys(r.errors).length > 0)
    expect(invalid).toEqual([])
    const used = new Set(sent.map((r) => r.endpoint))
    for (const e of [
      'POST /nodes/{node}/qemu/{vmid}/clone',
      'POST /nodes/{node}/qemu/{vmid}/config',
      'PUT /nodes/{node}/qemu/{vmid}/resize',
      'POST /nodes/{node}/qemu/{vmid}/status/start',
      'POST /nodes/{node}/qemu/{vmid}/status/shutdown',
      'POST /nodes/{node}/qemu/{vmid}/status/stop',
      'DELETE /nodes/{node}/qemu/{vmid}',
      'GET /cluster/nextid',
      'GET /nodes/{node}/tasks/{upid}/status',
      'GET /access/permissions',
    ]) {
      expect(used).toContain(e)
    }
    const offSchema = sent
      .filter((r) => r.status === 200 && r.endpoint !== null)
      .flatMap((r) => checkReturn(r.endpoint ?? '', r.response).map((p) => `${r.endpoint}: ${p}`))
    expect(offSchema).toEqual([])
    expect(Object.keys(loadEndpoints())).toEqual(
      expect.arrayContaining([...used].filter((u): u is string => u !== null)),
    )
  })

  it('rejects a boolean sent as true in a form body, as PVE does', async () => {
    const r = await send('POST', '/nodes/pve1/qemu/9000/clone', 'newid=555&full=true')
    expect(r.status).toBe(400)
    expect(r.reason).toBe('Parameter verification failed.')
    expect(r.errors).toEqual({ full: "type check ('boolean') failed - got 'true'" })
  })

  it('rejects a parameter the endpoint does not define', async () => {
    const r = await send('POST', '/nodes/pve1/qemu/9000/clone', 'newid=555&tags=pgd')
    expect(r.errors.tags).toBe(
      'property is not defined in schema and the schema does not allow additional properties',
    )
  })

  it('rejects a missing required parameter', async () => {
    const r = await send('POST', '/nodes/pve1/qemu/9000/clone', 'full=1')
    expect(r.errors.newid).toBe('property is missing and it is not optional')
  })

  it('rejects a VM name with an underscore (dns-name)', async () => {
    const r = await send('POST', '/nodes/pve1/qemu/9000/clone', 'newid=555&name=my_server')
    expect(r.errors.name).toBe('invalid format - value does not look like a valid DNS name\n')
  })

  it('drops everything after a second raw = like PVE’s decoder, so an unencoded ipconfig0 fails', async () => {
    const r = await send(
      'POST',
      '/nodes/pve1/qemu/9000/config',
      'ipconfig0=ip=127.77.0.5/16,gw=127.77.0.1',
    )
    expect(r.errors.ipconfig0).toMatch(/^invalid format - /)
  })

  it('rejects sshkeys encoded with + for spaces (Python quote_plus, Go QueryEscape)', async () => {
    const quotePlus = encodeURIComponent('ssh-ed25519+AAAAC3NzaC1lZDI1NTE5AAAAIDum+user%40host')
    const r = await send('POST', '/nodes/pve1/qemu/9000/config', `sshkeys=${quotePlus}`)
    expect(r.errors.sshkeys).toMatch(
      /^invalid format - invalid urlencoded string: ssh-ed25519\+AAAA/,
    )
  })

  it('rejects a VLAN tag out of range inside net0', async () => {
    const r = await send(
      'POST',
      '/nodes/pve1/qemu/9000/config',
      `net0=${encodeURIComponent('virtio,bridge=vmbr0,tag=5000')}`,
    )
    expect(r.errors.net0).toMatch(/net0\.tag: value must have a maximum value of 4094/)
  })

  it('rejects a body on a DELETE with 501', async () => {
    const r = await send('DELETE', '/nodes/pve1/qemu/9000', 'purge=1')
    expect(r.status).toBe(501)
    expect(r.reason).toBe("Unexpected content for method 'DELETE'")
  })

  it('rejects a resize size that does not match the pattern', async () => {
    const r = await send('PUT', '/nodes/pve1/qemu/9000/resize', 'disk=scsi0&size=20GB')
    expect(r.errors.size).toBe('value does not match the regex pattern')
  })

  it('fails a client test whose client sent a request PVE would reject', async () => {
    const strict = await startHarness()
    await strict.steps.client
      .call('POST', '/nodes/pve1/qemu/9000/clone', { newid: 555, tags: 'x' })
      .catch(() => null)
    await expect(strict.close()).rejects.toThrow(
      /the client sent requests PVE would reject: .*tags/,
    )
  })
})
