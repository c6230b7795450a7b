import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ProxmoxClient } from '../../runner/src/proxmox/client'
import { decodeSshKeys, encodeSshKeys } from '../../runner/src/proxmox/encode'
import { FAST, specFor, sshKey, startHarness, type Harness } from './helpers'

/** The sshkeys double-encoding quirk (docs/proxmox-api.md#sshkeys-encoding). */
describe('sshkeys encoding', () => {
  let h: Harness
  let client: ProxmoxClient
  beforeAll(async () => {
    h = await startHarness()
    client = new ProxmoxClient(h.conn, FAST)
  })
  afterAll(async () => {
    client.close()
    await h.close()
  })

  const keys = [
    sshKey('runner@pgd-runner'),
    sshKey('alice+games@example.org: laptop = main'),
    sshKey('bob & co; 100% sure / é'),
  ]

  it('encodes the keys into PVE’s urlencoded alphabet only', () => {
    expect(encodeSshKeys(keys)).toMatch(/^[-%a-zA-Z0-9_.!~*'()]*$/)
  })

  it('round-trips several keys with special characters through Proxmox', async () => {
    const spec = specFor({ sshPublicKeys: keys })
    const { vmid } = await h.steps.allocateAndClone(spec, h.ctx)
    await h.steps.configure(vmid, spec, h.ctx)
    const config = (await client.call('GET', `/nodes/pve1/qemu/${vmid}/config`)) as {
      sshkeys: string
    }
    expect(decodeSshKeys(config.sshkeys)).toEqual(keys)
  })

  it('puts every key, unchanged, into the cloud-init user data', async () => {
    const spec = specFor({ sshPublicKeys: keys })
    const { vmid } = await h.steps.allocateAndClone(spec, h.ctx)
    await h.steps.configure(vmid, spec, h.ctx)
    const userData = await client.call('GET', `/nodes/pve1/qemu/${vmid}/cloudinit/dump`, {
      type: 'user',
    })
    for (const k of keys) expect(userData).toContain(`  - ${k}`)
  })

  it('gets "SSH public key validation error" from Proxmox for a key that is not one', async () => {
    const spec = specFor()
    const { vmid } = await h.steps.allocateAndClone(spec, h.ctx)
    await expect(
      client.call('POST', `/nodes/pve1/qemu/${vmid}/config`, {
        sshkeys: encodeSshKeys(['ssh-ed25519 AAAAnotakey x']),
      }),
    ).rejects.toThrow('Proxmox 500: SSH public key validation error')
  })
})
