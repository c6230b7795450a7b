import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeSshKeys } from '../../runner/src/proxmox/encode'
import { deployVm, specFor, startHarness, type Harness } from './helpers'

describe('the VM steps against the simulator', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(async () => {
    await h.close()
  })

  it('clones the template into a VM named and described after the deployment', async () => {
    const spec = specFor()
    const { vmid } = await h.steps.allocateAndClone(spec, h.ctx)
    const vm = h.sim.cluster.vms.get(vmid)
    expect(vm?.config.name).toMatch(new RegExp(`^gs-survival-world-\\d+-${spec.deploymentId}$`))
    expect(vm?.config.lock).toBeUndefined()
    expect(vm?.config.scsi0).toMatch(/^local-lvm:vm-\d+-disk-0/)
  })

  it('configures CPU, memory, network, cloud-init, agent, onboot and tags', async () => {
    const spec = specFor({ cores: 4, memoryMiB: 8192 })
    const { vmid } = await h.steps.allocateAndClone(spec, h.ctx)
    await h.steps.configure(vmid, spec, h.ctx)
    const c = h.sim.cluster.vms.get(vmid)?.config ?? {}
    expect(c).toMatchObject({
      cores: '4',
      memory: '8192',
      ipconfig0: `ip=${spec.ipAddress}/16,gw=127.77.0.1`,
      ciuser: 'debian',
      nameserver: '1.1.1.1 9.9.9.9',
      searchdomain: 'games.example',
      agent: '1',
      onboot: '1',
      ciupgrade: '0',
      tags: `pgd;pgd-${spec.deploymentId}`,
    })
    expect(c.net0).toMatch(/^virtio=BC:24:11:[0-9A-F:]{8},bridge=vmbr0,tag=20$/)
    expect(decodeSshKeys(c.sshkeys ?? '')).toEqual(spec.sshPublicKeys)
  })

  it('grows the boot disk to the requested size', async () => {
    const spec = specFor({ diskGiB: 25 })
    const { vmid } = await h.steps.allocateAndClone(spec, h.ctx)
    await h.steps.resizeDisk(vmid, spec, h.ctx)
    expect(h.sim.cluster.vms.get(vmid)?.config.scsi0).toContain('size=25G')
  })

  it('does not resize again when the disk already has the size', async () => {
    const spec = specFor({ diskGiB: 25 })
    const { vmid } = await h.steps.allocateAndClone(spec, h.ctx)
    await h.steps.resizeDisk(vmid, spec, h.ctx)
    const before = h.sim.requests.filter((r) => r.endpoint?.endsWith('/resize')).length
    await h.steps.resizeDisk(vmid, spec, h.ctx)
    expect(h.sim.requests.filter((r) => r.endpoint?.endsWith('/resize')).length).toBe(before)
  })

  it('starts the VM and its simulated sshd answers with a banner', async () => {
    const spec = specFor()
    await deployVm(h, spec)
    const banner = await h.steps.waitSsh(spec.ipAddress, {
      ...h.ctx,
      timeouts: { bootMs: 5_000, retryMs: 10 },
    })
    expect(banner).toMatch(/^SSH-2\.0-OpenSSH/)
  })

  it('reuses the existing VM when the clone step runs again for the same deployment', async () => {
    const spec = specFor()
    const first = await h.steps.allocateAndClone(spec, h.ctx)
    const second = await h.steps.allocateAndClone(spec, h.ctx)
    expect(second.vmid).toBe(first.vmid)
  })

  it('finds the VM of a deployment by its tag after configure', async () => {
    const spec = specFor()
    const { vmid } = await h.steps.allocateAndClone(spec, h.ctx)
    await h.steps.configure(vmid, spec, h.ctx)
    expect((await h.steps.findVmByDeployment(spec.deploymentId, h.ctx))?.vmid).toBe(vmid)
  })

  it('treats a start of a running VM as done without a second start task', async () => {
    const spec = specFor()
    const vmid = await deployVm(h, spec)
    const starts = (): number =>
      h.sim.requests.filter((r) => r.path.endsWith(`/${vmid}/status/start`)).length
    const before = starts()
    await h.steps.start(vmid, spec.deploymentId, h.ctx)
    expect(starts()).toBe(before)
  })

  it('builds cloud-init user data with the user and every key', async () => {
    const spec = specFor()
    const { vmid } = await h.steps.allocateAndClone(spec, h.ctx)
    await h.steps.configure(vmid, spec, h.ctx)
    const vm = h.sim.cluster.vms.get(vmid)
    const userData = vm ? h.sim.cluster.guestView(vm).cloudInit.userData : ''
    expect(userData).toContain('user: debian')
    expect(userData).toContain(`  - ${spec.sshPublicKeys[0]}`)
  })

  it('refuses to configure an address outside the IP pool', async () => {
    const spec = specFor()
    const { vmid } = await h.steps.allocateAndClone(spec, h.ctx)
    await expect(
      h.steps.configure(vmid, { ...spec, ipAddress: '127.1.2.3' }, h.ctx),
    ).rejects.toThrow('configure: 127.1.2.3 is outside the IP pool 127.77.0.0/16')
  })

  it('leaves out ciupgrade on a PVE older than 8.1, which does not know it', async () => {
    const old = await startHarness({ version: '8.0.4' })
    try {
      const spec = specFor()
      const { vmid } = await old.steps.allocateAndClone(spec, old.ctx)
      await old.steps.configure(vmid, spec, old.ctx)
      const post = old.sim.requests.find(
        (r) => r.endpoint === 'POST /nodes/{node}/qemu/{vmid}/config',
      )
      expect(post?.params).not.toHaveProperty('ciupgrade')
      expect(post?.params).toHaveProperty('ciuser', 'debian')
    } finally {
      await old.close()
    }
  })
})
