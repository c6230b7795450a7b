import { describe, expect, it } from 'vitest'
import { VmSpec, deploymentTag, vmNameFor, vmSpecFromDeployment } from '../../core/vm-spec'
import {
  encodeForm,
  formatIpconfig0,
  formatNet0,
  parseDiskSize,
} from '../../runner/src/proxmox/encode'
import { formatUpid, isTaskSuccess, parseUpid } from '../../runner/src/proxmox/upid'
import { NAMED_FORMATS } from '../pve-sim/formats'
import { decodeUrlencoded } from '../pve-sim/server'
import { specFor } from './helpers'

describe('request encoding', () => {
  it('sends booleans as 1 and 0', () => {
    expect(encodeForm({ full: true, onboot: false })).toBe('full=1&onboot=0')
  })

  it('percent-encodes = ; & + so PVE’s decoder keeps whole values', () => {
    const body = encodeForm({
      ipconfig0: formatIpconfig0('127.77.0.5', 16, '127.77.0.1'),
      description: 'a;b&c+d',
    })
    expect(decodeUrlencoded(body)).toEqual({
      ipconfig0: 'ip=127.77.0.5/16,gw=127.77.0.1',
      description: 'a;b&c+d',
    })
  })

  it('omits the VLAN tag when none is set', () => {
    expect(formatNet0('vmbr0', null)).toBe('virtio,bridge=vmbr0')
  })

  it('reads disk sizes in binary units', () => {
    expect(parseDiskSize('3584M')).toBe(3584 * 1024 ** 2)
  })
})

describe('UPIDs', () => {
  it('parses the example from pve-common’s tests', () => {
    expect(
      parseUpid('UPID:example-node:000934AF:0D015579:68BF3A41:hastart:100:root@pam:'),
    ).toMatchObject({
      node: 'example-node',
      pid: 603311,
      pstart: 218191225,
      starttime: 1757362753,
      type: 'hastart',
      id: '100',
    })
  })

  it('formats what it parses', () => {
    const upid = 'UPID:pve-mp:00000ACD:00006AE8:679A423B:qmclone:112:capmox@pve!capi:'
    const parsed = parseUpid(upid)
    expect(parsed && formatUpid(parsed)).toBe(upid)
  })

  it('treats OK and WARNINGS: n as success and anything else as failure', () => {
    expect([
      isTaskSuccess('OK'),
      isTaskSuccess('WARNINGS: 3'),
      isTaskSuccess('unexpected status'),
    ]).toEqual([true, true, false])
  })
})

describe('the VM spec', () => {
  it('makes a tag PVE accepts from a ULID-like deployment id', () => {
    const id = VmSpec.parse(specFor({ deploymentId: '01JDXYZ7K9M3Q8R2T4V6W8Y0AB' })).deploymentId
    expect(NAMED_FORMATS['pve-tag-list']?.(deploymentTag(id))).toBeNull()
  })

  it('makes a DNS-name VM name of at most 63 characters from any human name', () => {
    const name = vmNameFor({
      deploymentId: '3f2b9c1e-8d7a-4b6c-9e5f-0a1b2c3d4e5f',
      name: 'Ünïcode__World!! with a very very long name indeed, really',
    })
    expect(name.length).toBeLessThanOrEqual(63)
    expect(NAMED_FORMATS['dns-name']?.(name)).toBeNull()
    expect(name.endsWith('-3f2b9c1e-8d7a-4b6c-9e5f-0a1b2c3d4e5f')).toBe(true)
  })

  it('rejects a deployment id with characters PVE tags cannot carry', () => {
    expect(VmSpec.safeParse(specFor({ deploymentId: 'abc_def' })).success).toBe(false)
  })

  it('rejects a multi-line SSH key', () => {
    expect(
      VmSpec.safeParse(specFor({ sshPublicKeys: ['ssh-ed25519 AAAA a\nssh-rsa AAAA b'] })).success,
    ).toBe(false)
  })

  it('builds the VM spec of a job with the runner key first and no duplicate key', () => {
    const runnerKey = specFor().sshPublicKeys[0] ?? ''
    const admin = specFor().sshPublicKeys[0] ?? ''
    const spec = vmSpecFromDeployment(
      {
        deploymentId: '3f2b9c1e-8d7a-4b6c-9e5f-0a1b2c3d4e5f',
        name: 'survival',
        game: 'minecraft',
        gameConfig: {},
        cores: 2,
        memoryMiB: 4096,
        diskGiB: 20,
        ipAddress: '127.77.0.9',
        sshPublicKeys: [admin, runnerKey],
      },
      runnerKey,
    )
    expect(spec.sshPublicKeys).toEqual([runnerKey, admin])
  })
})
