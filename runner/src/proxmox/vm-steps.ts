import * as z from 'zod'
import { cidrContains, cidrPrefix } from '../../../core/settings'
import type { ProxmoxConnection } from '../../../core/settings'
import type { ConnectionCheck } from '../../../core/protocol'
import { deploymentTag, vmNameFor, type VmSpec } from '../../../core/vm-spec'
import { waitSsh, type SshWaitTimeouts } from '../ssh/wait'
import { ProxmoxClient, type ProxmoxClientOptions } from './client'
import { encodeSshKeys, findBootDisk, formatIpconfig0, formatNet0 } from './encode'
import { ProxmoxApiError, errorText, isLostIdRace, isVmMissing } from './errors'
import { allocateId, withCloneSlot } from './id-allocator'
import { testConnection } from './test-connection'
import { VmPower } from './vm-power'
import {
  DEFAULT_RETRY,
  DEFAULT_TIMEOUTS,
  asStep,
  assertDeploymentVm,
  findVmByDeployment,
  listProductVms,
  retryTransient,
  vmStatus,
  waitUnlocked,
  type FoundVm,
  type RetryPolicy,
  type StepContext,
  type VmStepTimeouts,
} from './vm-common'
import { backoffMs, sleep } from './wait'

/**
 * The VM steps of a deployment, each idempotent so a job resumed after a runner restart (from
 * the checkpoint the DeploymentDO kept) never makes a second VM:
 * allocate + clone, configure, resize, start; and shutdown / stop / destroy for cancel, cleanup
 * and the lifecycle actions (in {@link VmPower}). Every UPID is waited to `stopped` with its
 * `exitstatus` checked.
 */

export interface VmStepsOptions extends ProxmoxClientOptions {
  timeouts?: Partial<VmStepTimeouts>
  retry?: Partial<RetryPolicy>
  /** Bound on "lost the nextid race, try another id" rounds. */
  maxIdRaceRetries?: number
  /** Clones at once per cluster and storage, default 2 (docs/proxmox-api.md#parallel-clones). */
  maxParallelClones?: number
}

const VmConfig = z.record(z.string(), z.unknown())
/** What the ownership check reads from a VM's config. */
const OwnerFields = z.object({
  name: z.string().optional(),
  tags: z.string().optional(),
  template: z.union([z.number(), z.boolean()]).optional(),
})
const PveVersion = z.object({ version: z.string() })

export class VmSteps extends VmPower {
  private readonly maxIdRaceRetries: number
  private readonly maxParallelClones: number

  constructor(connection: ProxmoxConnection, options: VmStepsOptions = {}) {
    const client = new ProxmoxClient(connection, options)
    super(
      client,
      { ...DEFAULT_TIMEOUTS, ...options.timeouts },
      { ...DEFAULT_RETRY, ...options.retry },
    )
    this.maxIdRaceRetries = options.maxIdRaceRetries ?? 10
    this.maxParallelClones = options.maxParallelClones ?? 2
  }

  private version: Promise<[number, number]> | null = null

  /** `[major, minor]` of the cluster, read once per VmSteps (docs/proxmox-api.md#version). */
  private pveVersion(ctx: StepContext): Promise<[number, number]> {
    this.version ??= this.client.call('GET', '/version', {}, ctx.signal).then((v) => {
      const m = /^(\d+)\.(\d+)/.exec(PveVersion.parse(v).version)
      return [Number(m?.[1] ?? 0), Number(m?.[2] ?? 0)]
    })
    this.version.catch(() => {
      this.version = null
    })
    return this.version
  }

  /** Release the client's sockets. */
  close(): void {
    this.client.close()
  }

  /** The setup wizard's checks: version, node, token privileges, template, storage, bridge. */
  testConnection(signal?: AbortSignal): Promise<ConnectionCheck[]> {
    return testConnection(this.client, signal)
  }

  /**
   * Step "wait SSH": TCP + `SSH-2.0-` banner on the deployment's own address, on the port from
   * settings. Refuses an address outside the configured pool, so it never probes another host.
   */
  waitSsh(
    ipAddress: string,
    ctx: StepContext & { timeouts?: Partial<SshWaitTimeouts> },
  ): Promise<string> {
    const conn = this.client.connection
    return asStep('wait SSH', async () => {
      if (!cidrContains(conn.ipPool.cidr, ipAddress)) {
        throw new Error(`${ipAddress} is outside the IP pool ${conn.ipPool.cidr}; not probing it`)
      }
      return waitSsh(ipAddress, conn.sshPort, ctx)
    })
  }

  /** Every VM of this product on the node (for the sweep). */
  productVms(signal?: AbortSignal) {
    return listProductVms(this.client, signal)
  }

  /** The VM's power state (`status/current`); `missing` when it does not exist. */
  async powerState(vmid: number, signal?: AbortSignal): Promise<string> {
    try {
      return (await vmStatus(this.client, vmid, signal)).status
    } catch (err) {
      if (isVmMissing(err)) return 'missing'
      throw err
    }
  }

  /** The VM of a deployment (by tag, or by name before configure ran), or null. */
  findVmByDeployment(deploymentId: string, ctx: StepContext): Promise<FoundVm | null> {
    return findVmByDeployment(this.client, deploymentId, ctx)
  }

  /**
   * Steps "allocate VMID" + "clone": reuse the deployment's VM if one exists; otherwise take an
   * id and full-clone the template onto the configured storage, retrying with a fresh id when the
   * nextid race is lost (docs/proxmox-api.md#nextid-race). Returns once the clone task has
   * finished.
   */
  allocateAndClone(
    spec: VmSpec,
    ctx: StepContext,
    /** Another template than Settings' (a game-ready one, core/bake.ts). */
    source?: { vmid: number; name: string },
  ): Promise<{ vmid: number }> {
    return asStep('clone', async () => {
      const existing = await this.findVmByDeployment(spec.deploymentId, ctx)
      if (existing) {
        ctx.log(`VM ${existing.vmid} already exists for this deployment; reusing it`)
        await waitUnlocked(this.client, existing.vmid, this.timeouts.cloneMs, ctx)
        return { vmid: existing.vmid }
      }
      for (let round = 0; round <= this.maxIdRaceRetries; round++) {
        const outcome = await withCloneSlot(this.client, this.maxParallelClones, ctx.signal, () =>
          this.cloneOnce(spec, ctx, source),
        )
        if (outcome !== null) return { vmid: outcome }
        await sleep(backoffMs(round, this.retry.baseMs, this.retry.capMs), ctx.signal)
      }
      throw new Error(`lost the VM id race ${this.maxIdRaceRetries + 1} times; giving up`)
    })
  }

  /** One clone attempt: the new VM id once its task ended, or null to retry with a fresh id. */
  private async cloneOnce(
    spec: VmSpec,
    ctx: StepContext,
    source?: { vmid: number; name: string },
  ): Promise<number | null> {
    const conn = this.client.connection
    const name = vmNameFor(spec)
    const from = source?.vmid ?? conn.templateVmid
    const started = await allocateId(this.client, ctx, async (newid) => {
      ctx.log(
        `cloning template ${from}${source ? ` (${source.name})` : ''} to VM ${newid} (${name}) on ${conn.storage}${conn.pool ? ` in pool ${conn.pool}` : ''}`,
      )
      return this.client.callTask(
        'POST',
        `/nodes/${conn.node}/qemu/${from}/clone`,
        {
          newid,
          name,
          full: true,
          storage: conn.storage,
          // Into the resource pool the token's grants are scoped to (docs/proxmox-token.md).
          pool: conn.pool || undefined,
          description: `Proxmox Game Deployer, deployment ${spec.deploymentId}`,
        },
        ctx.signal,
      )
    })
    if (started.kind === 'lost') {
      ctx.log(`VM id ${started.vmid} was taken by someone else; picking another id`)
      return null
    }
    if (started.kind === 'unknown') {
      // A 59x on the POST: the clone may be running anyway (docs/proxmox-api.md#proxy-errors),
      // its config written a moment later. Look for it for a while before trying again, or we
      // would make a second VM.
      ctx.log(`no answer to the clone of VM ${started.vmid}; checking whether it started`)
      const deadline = Date.now() + this.timeouts.cloneAppearMs
      // A clone into a pool joins it only when it ends: a token whose grants are on the pool
      // cannot list it before. While its id is taken (`nextid?vmid=` refuses it), it is taken by
      // that clone, so keep looking for as long as a clone may take.
      const cloneDeadline = Date.now() + this.timeouts.cloneMs
      for (;;) {
        const found = await this.findVmByDeployment(spec.deploymentId, ctx)
        if (found) {
          await waitUnlocked(this.client, found.vmid, this.timeouts.cloneMs, ctx)
          return found.vmid
        }
        if (Date.now() > deadline) {
          const taken = conn.pool !== '' && (await this.idTaken(started.vmid, ctx))
          if (!taken || Date.now() > cloneDeadline) return null
        }
        await sleep(this.client.pollIntervalMs, ctx.signal)
      }
    }
    try {
      if (started.upid) {
        await this.client.waitTask(started.upid, { timeoutMs: this.timeouts.cloneMs, ...ctx })
      }
    } catch (err) {
      if (!isLostIdRace(err, started.vmid) && !isStorageLockTimeout(err)) throw err
      ctx.log(`clone to VM ${started.vmid} failed: ${errorText(err)}; retrying with a fresh id`)
      return null
    }
    ctx.log(`clone of VM ${started.vmid} finished`)
    return started.vmid
  }

  /** Whether `nextid?vmid=` refuses the id (400 `VM n already exists`). */
  private async idTaken(vmid: number, ctx: StepContext): Promise<boolean> {
    try {
      await this.client.nextId(vmid, ctx.signal)
      return false
    } catch (err) {
      if (err instanceof ProxmoxApiError && err.status === 400) return true
      throw err
    }
  }

  /**
   * Step "configure": CPU, RAM, network, cloud-init (user, keys, IP, DNS), agent, onboot, tags,
   * description, through the async POST config and its task
   * (docs/proxmox-api.md#synchronous-put-config). Applied while stopped, so the next start builds
   * the cloud-init ISO from it (docs/proxmox-api.md#cloud-init-timing).
   */
  configure(vmid: number, spec: VmSpec, ctx: StepContext): Promise<void> {
    return asStep('configure', async () => {
      const conn = this.client.connection
      if (!cidrContains(conn.ipPool.cidr, spec.ipAddress)) {
        throw new Error(`${spec.ipAddress} is outside the IP pool ${conn.ipPool.cidr}`)
      }
      const params = {
        cores: spec.cores,
        memory: String(spec.memoryMiB),
        net0: formatNet0(conn.bridge, conn.vlan),
        ipconfig0: formatIpconfig0(spec.ipAddress, cidrPrefix(conn.ipPool.cidr), conn.gateway),
        ciuser: conn.ciUser,
        sshkeys: encodeSshKeys(spec.sshPublicKeys),
        nameserver: conn.dnsServers.join(' '),
        searchdomain: conn.searchDomain || undefined,
        // The default first-boot package upgrade makes boots slow; Ansible updates instead
        // (docs/proxmox-api.md#cloud-init-timing).
        // The option exists since PVE 8.1 (unknown parameters are a 400 on older servers).
        ciupgrade: atLeast(await this.pveVersion(ctx), [8, 1]) ? false : undefined,
        agent: '1',
        onboot: true,
        tags: `pgd;${deploymentTag(spec.deploymentId)}`,
        description: spec.description ?? `Proxmox Game Deployer, deployment ${spec.deploymentId}`,
      }
      await retryTransient('configure', this.retry, ctx, async () => {
        // Never touch a VM that is still locked, e.g. its clone is finishing
        // (docs/proxmox-api.md#clone-lock).
        const st = await waitUnlocked(this.client, vmid, this.timeouts.unlockMs, ctx)
        assertDeploymentVm(st, vmid, spec.deploymentId, 'configure')
        const upid = await this.client.callTask(
          'POST',
          `/nodes/${conn.node}/qemu/${vmid}/config`,
          params,
          ctx.signal,
        )
        if (upid) await this.client.waitTask(upid, { timeoutMs: this.timeouts.taskMs, ...ctx })
      })
      ctx.log(
        `VM ${vmid} configured: ${spec.cores} cores, ${spec.memoryMiB} MiB, ${spec.ipAddress}`,
      )
    })
  }

  /**
   * A change's new CPU and memory, and nothing else: the rest of the config (net0 with its MAC,
   * the cloud-init user, keys and address) stays as the deploy set it. Sending net0 again would
   * give the VM a new MAC, hence a new cloud-init instance-id, and cloud-init would make new SSH
   * host keys at the next boot, which the pinned key rightly refuses (docs/proxmox-api.md#cloud-init).
   */
  setSize(vmid: number, spec: VmSpec, ctx: StepContext): Promise<void> {
    return asStep('configure', async () => {
      await retryTransient('configure', this.retry, ctx, async () => {
        const st = await waitUnlocked(this.client, vmid, this.timeouts.unlockMs, ctx)
        assertDeploymentVm(st, vmid, spec.deploymentId, 'configure')
        const upid = await this.client.callTask(
          'POST',
          `/nodes/${this.client.connection.node}/qemu/${vmid}/config`,
          { cores: spec.cores, memory: String(spec.memoryMiB) },
          ctx.signal,
        )
        if (upid) await this.client.waitTask(upid, { timeoutMs: this.timeouts.taskMs, ...ctx })
      })
      ctx.log(`VM ${vmid} resized: ${spec.cores} cores, ${spec.memoryMiB} MiB`)
    })
  }

  /**
   * Step "resize disk": grow the boot disk to `spec.diskGiB` with an absolute size, skipped when
   * already that big, so a repeat never grows it twice and never tries to shrink
   * (docs/proxmox-api.md#resize).
   */
  resizeDisk(vmid: number, spec: VmSpec, ctx: StepContext): Promise<void> {
    return asStep('resize disk', async () => {
      const conn = this.client.connection
      const path = `/nodes/${conn.node}/qemu/${vmid}`
      const config = VmConfig.parse(await this.client.call('GET', `${path}/config`, {}, ctx.signal))
      assertDeploymentVm(OwnerFields.parse(config), vmid, spec.deploymentId, 'resize')
      const disk = findBootDisk(config)
      if (!disk) throw new Error(`VM ${vmid} has no disk to resize (no scsi/virtio/sata/ide disk)`)
      const want = spec.diskGiB * 1024 ** 3
      if (disk.bytes !== null && disk.bytes >= want) {
        ctx.log(`disk ${disk.key} is already ${disk.size}; no resize needed`)
        return
      }
      await retryTransient('resize', this.retry, ctx, async () => {
        await waitUnlocked(this.client, vmid, this.timeouts.unlockMs, ctx)
        const upid = await this.client.callTask(
          'PUT',
          `${path}/resize`,
          { disk: disk.key, size: `${spec.diskGiB}G` },
          ctx.signal,
        )
        // PVE 7 resizes synchronously and returns null (docs/proxmox-api.md#resize).
        if (upid) await this.client.waitTask(upid, { timeoutMs: this.timeouts.taskMs, ...ctx })
      })
      ctx.log(`disk ${disk.key} resized to ${spec.diskGiB}G`)
    })
  }
}

function atLeast(
  [major, minor]: [number, number],
  [wantMajor, wantMinor]: [number, number],
): boolean {
  return major > wantMajor || (major === wantMajor && minor >= wantMinor)
}

/**
 * Parallel full clones onto one non-shared storage time out on its storage lock
 * (docs/proxmox-api.md#parallel-clones).
 */
function isStorageLockTimeout(err: unknown): boolean {
  return /pve-storage-[^']*' - got timeout/.test(errorText(err))
}
