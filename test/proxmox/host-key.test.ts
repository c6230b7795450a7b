import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { stepsOf, type Checkpoint, type JobAssignment, type JobKind } from '../../core/protocol'
import { createRealExecutors } from '../../runner/src/executors/real'
import type { Executors, StepContext } from '../../runner/src/executors/types'
import { scanHostKey } from '../../runner/src/ssh/host-key'
import { BannerBackend } from '../pve-sim/backend'
import { fingerprintOf } from '../pve-sim/ssh-server'
import { specFor, sshKey, startHarness, type Harness } from './helpers'

/**
 * The VM's SSH host key, pinned at the deploy's first SSH contact and checked at every later
 * one, with the product's real executors against the simulator, whose guests answer the SSH key
 * exchange with their own ed25519 host key (test/pve-sim/ssh-server.ts) as `ssh-keyscan` reads it.
 */
describe('the VM’s SSH host key', () => {
  let h: Harness | null = null
  const dirs: string[] = []
  const path = process.env.PATH
  afterEach(async () => {
    process.env.PATH = path
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
    await h?.close()
    h = null
  })

  function job(h: Harness, kind: JobKind, spec: ReturnType<typeof specFor>): JobAssignment {
    return {
      jobId: `job-${spec.deploymentId}-${kind}`,
      deploymentId: spec.deploymentId,
      kind,
      attempt: 1,
      leaseExpiresAt: Date.now() + 60_000,
      spec: {
        deploymentId: spec.deploymentId,
        name: 'viking hall',
        game: 'valheim',
        gameConfig: { password: 'hunter22' },
        cores: 2,
        memoryMiB: 4096,
        diskGiB: 20,
        ipAddress: spec.ipAddress,
        sshPublicKeys: [sshKey('admin@laptop')],
      },
      proxmox: h.conn,
      secrets: [],
      gameSecrets: {},
    }
  }

  /** Runs steps as a job would, carrying the checkpoint (the host key included) from one to the next. */
  async function run(
    exec: Executors,
    h: Harness,
    j: JobAssignment,
    steps: readonly string[],
    checkpoint: Checkpoint,
  ): Promise<Checkpoint> {
    let cp = checkpoint
    for (const step of stepsOf(j.kind).filter((s) => steps.includes(s))) {
      const ctx: StepContext = {
        job: j,
        checkpoint: cp,
        sshPublicKey: sshKey('runner@pgd'),
        sshPrivateKeyPath: '/nonexistent',
        stateDir: '/nonexistent',
        log: (t) => h.logs.push(t),
        signal: AbortSignal.timeout(20_000),
      }
      const res = await exec.runStep(step, ctx)
      cp = {
        ...cp,
        vmid: res.vmid ?? cp.vmid,
        ip: res.ip ?? cp.ip,
        hostKey: cp.hostKey ?? res.hostKey,
      }
    }
    return cp
  }

  /** An `ansible-playbook` first on PATH that only leaves a mark that it ran. */
  function ansibleShim(): string {
    const dir = mkdtempSync(join(tmpdir(), 'pgd-ansible-shim-'))
    dirs.push(dir)
    const marker = join(dir, 'ansible-playbook-ran')
    writeFileSync(join(dir, 'ansible-playbook'), `#!/bin/sh\ntouch '${marker}'\n`)
    chmodSync(join(dir, 'ansible-playbook'), 0o755)
    process.env.PATH = `${dir}:${path}`
    return marker
  }

  it('is pinned at the deploy’s first contact and refused once it changed, before Ansible runs', async () => {
    const backend = new BannerBackend({ bootDelayMs: 30 })
    h = await startHarness({ backend })
    const exec = createRealExecutors({
      ansibleDir: new URL('../../ansible', import.meta.url).pathname,
      provisioner: 'ansible',
      runnerAddress: null,
    })
    const spec = specFor()
    const deployed = await run(
      exec,
      h,
      job(h, 'deploy', spec),
      ['allocate', 'clone', 'configure', 'resize', 'start', 'wait_ssh'],
      { upids: {}, doneSteps: [] },
    )
    const vmid = deployed.vmid ?? 0
    const first = backend.hostKeyOf(vmid)
    expect(deployed.hostKey).toBe(first.line)
    expect(h.logs).toContain(`pinned the VM's SSH host key: ${fingerprintOf(first)} (ssh-ed25519)`)

    // A later job of the same deployment: the same key passes.
    const restarted = await run(
      exec,
      h,
      job(h, 'restart', spec),
      ['stop_vm', 'start', 'wait_ssh'],
      {
        ...deployed,
        doneSteps: [],
      },
    )
    expect(restarted.hostKey).toBe(first.line)
    expect(h.logs).toContain(
      `the VM's SSH host key is the pinned one: ${fingerprintOf(first)} (ssh-ed25519)`,
    )

    // Another machine answers on the VM's address with another key.
    const second = backend.replaceHostKey(vmid)
    const changed = `the VM's SSH host key changed: expected ${fingerprintOf(first)}, got ${fingerprintOf(second)}`
    await expect(
      run(exec, h, job(h, 'start', spec), ['start', 'wait_ssh'], { ...deployed, doneSteps: [] }),
    ).rejects.toThrow(changed)

    // Provisioning checks it too, and never starts ansible-playbook.
    const marker = ansibleShim()
    const lines = h.logs.length
    await expect(
      run(exec, h, job(h, 'deploy', spec), ['provision'], { ...deployed, doneSteps: [] }),
    ).rejects.toThrow(changed)
    expect(existsSync(marker)).toBe(false)
    expect(h.logs.slice(lines).some((l) => l.startsWith('running provision_valheim.yml'))).toBe(
      false,
    )
    // With the key it now presents pinned, the same step does start it (the shim works).
    await run(exec, h, job(h, 'deploy', spec), ['provision'], {
      ...deployed,
      hostKey: second.line,
      doneSteps: [],
    })
    expect(existsSync(marker)).toBe(true)
  })

  it('reads the best key the server offers, and says why when there is none', async () => {
    const backend = new BannerBackend({ bootDelayMs: 0 })
    h = await startHarness({ backend })
    const exec = createRealExecutors({
      ansibleDir: new URL('../../ansible', import.meta.url).pathname,
      provisioner: 'ansible',
      runnerAddress: null,
    })
    const spec = specFor()
    const cp = await run(
      exec,
      h,
      job(h, 'deploy', spec),
      ['allocate', 'clone', 'configure', 'resize', 'start', 'wait_ssh'],
      { upids: {}, doneSteps: [] },
    )
    expect(await scanHostKey(spec.ipAddress, h.conn.sshPort)).toBe(cp.hostKey)
    await h.steps.stop(cp.vmid ?? 0, spec.deploymentId, h.ctx)
    await expect(scanHostKey(spec.ipAddress, h.conn.sshPort, { timeoutS: 2 })).rejects.toThrow(
      `could not read the SSH host key of ${spec.ipAddress}:${h.conn.sshPort}`,
    )
  })
})
