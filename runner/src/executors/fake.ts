import { pruneSelection } from '../../../core/schedules'
import { BackupEntry } from '../../../core/backups'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import * as z from 'zod'
import type { StepName } from '../../../core/protocol'
import { secretsOfJob } from '../redact'
import type { FakeOptions } from './fake-options'
import type { Executors, StepContext, StepResult } from './types'
import { StepFailure } from './types'

/**
 * Executors that pretend: each step logs a few lines and sleeps. Its "Proxmox" is a JSON file, so
 * a test can count the VMs ever created across runner restarts, and clone is idempotent the way
 * the real one is (it looks for this deployment's VM first).
 */

export const FakeVmState = z.object({
  /** VMs ever created: a resumed job must not raise it. */
  created: z.number().int().min(0),
  /** deploymentId → vmid of the VMs that exist now. */
  vms: z.record(z.string(), z.number().int()),
  /** vmids of the VMs a stop job shut down (the others run). */
  stopped: z.array(z.number().int()).default([]),
  /** Backups made by fake backup jobs. */
  backups: z.array(BackupEntry.extend({ deploymentId: z.string() })).default([]),
})
export type FakeVmState = z.infer<typeof FakeVmState>

/** Reads the fake's VM file; a missing file is an empty cluster. */
export function readFakeVmState(path: string): FakeVmState {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    return { created: 0, vms: {}, stopped: [], backups: [] }
  }
  return FakeVmState.parse(JSON.parse(text))
}

function writeState(path: string, state: FakeVmState): void {
  mkdirSync(dirname(path), { recursive: true })
  // Write-then-rename: a SIGKILL leaves either the old file or the new one, never half of it.
  writeFileSync(`${path}.tmp`, JSON.stringify(state))
  renameSync(`${path}.tmp`, path)
}

function leakLines(ctx: StepContext): string[] {
  const { proxmox } = ctx.job
  const secrets = secretsOfJob(ctx.job).slice(1)
  return [
    `curl -H 'Authorization: PVEAPIToken=${proxmox.tokenId}=${proxmox.tokenSecret}' ${proxmox.apiUrl}`,
    `raw token ${proxmox.tokenSecret}`,
    ...secrets.flatMap((s) => [
      `secret ${s} in the middle`,
      `rcon_password=${s}`,
      JSON.stringify({ s }),
    ]),
    `{"password": "${secrets[0] ?? 'unknown-pw'}"}`,
    'password=not-a-known-secret-but-a-password',
  ]
}

/** Builds fake executors from `RUNNER_FAKE_*` options. */
export function createFakeExecutors(opts: FakeOptions): Executors {
  // Side effects first, then the wait, like a Proxmox clone whose VM exists as soon as the task
  // starts: a crash during the wait must not lead to a second VM.
  async function runStep(step: StepName, ctx: StepContext): Promise<StepResult> {
    const result = effect(step, ctx)
    if (opts.burstLines > 0 && step === opts.burstStep) await burst(step, ctx)
    await sleep(opts.stepDelays[step] ?? opts.stepDelayMs, undefined, { signal: ctx.signal })
    if (opts.failStep === step) {
      throw new StepFailure(opts.failMessage, `fake detail for ${step}`)
    }
    ctx.log(`[fake] ${step}: done`, 'info')
    return result
  }

  /**
   * Benchmark lines: flat out (`burstRate` 0), or paced at `burstRate` lines/s in 10 ms ticks,
   * the way a chatty Ansible run produces them.
   */
  async function burst(step: StepName, ctx: StepContext): Promise<void> {
    const total = opts.burstLines
    const perTick = opts.burstRate > 0 ? Math.max(1, Math.round(opts.burstRate / 100)) : total
    const started = performance.now()
    for (let i = 1; i <= total;) {
      const end = Math.min(total, i + perTick - 1)
      for (; i <= end; i++) ctx.log(`[fake] ${step}: burst ${i}/${total}`)
      if (opts.burstRate > 0 && i <= total) {
        const due = started + ((i - 1) / opts.burstRate) * 1000
        await sleep(Math.max(0, due - performance.now()), undefined, { signal: ctx.signal })
      }
    }
  }

  function effect(step: StepName, ctx: StepContext): StepResult {
    const { spec } = ctx.job
    const total = opts.linesPerStep
    for (let i = 1; i <= total; i++) ctx.log(`[fake] ${step}: line ${i}/${total}`)
    if (opts.leakSecrets) for (const line of leakLines(ctx)) ctx.log(line, 'stderr')
    const state = readFakeVmState(opts.vmStateFile)
    switch (step) {
      case 'allocate': {
        const existing = state.vms[spec.deploymentId]
        const next = Math.max(99, ...Object.values(state.vms)) + 1
        return { vmid: existing ?? ctx.checkpoint.vmid ?? next }
      }
      case 'clone': {
        const existing = state.vms[spec.deploymentId]
        if (existing !== undefined) {
          ctx.log(`[fake] VM ${existing} already exists for ${spec.deploymentId}: reusing it`)
          return { vmid: existing, upid: `UPID:fake:clone:${existing}` }
        }
        const vmid = ctx.checkpoint.vmid ?? 100 + state.created
        writeState(opts.vmStateFile, {
          ...state,
          created: state.created + 1,
          vms: { ...state.vms, [spec.deploymentId]: vmid },
        })
        return { vmid, upid: `UPID:fake:clone:${vmid}` }
      }
      case 'start': {
        const vmid = state.vms[spec.deploymentId]
        writeState(opts.vmStateFile, {
          ...state,
          stopped: state.stopped.filter((id) => id !== vmid),
        })
        return { upid: `UPID:fake:start:${ctx.checkpoint.vmid ?? 0}` }
      }
      case 'wait_ssh':
        return { ip: spec.ipAddress }
      case 'verify':
        return {
          result: { game: spec.game, version: 'fake-1.0', motd: 'A fake server', players: 0 },
        }
      case 'delete_vm': {
        const { [spec.deploymentId]: gone, ...rest } = state.vms
        const dropBackups = ctx.job.destroy?.deleteBackups === true
        writeState(opts.vmStateFile, {
          ...state,
          vms: rest,
          stopped: state.stopped.filter((id) => id !== gone),
          backups: state.backups.filter(
            (b) => !dropBackups || b.protected || b.deploymentId !== spec.deploymentId,
          ),
        })
        return {}
      }
      case 'stop_vm': {
        const vmid = state.vms[spec.deploymentId]
        if (vmid !== undefined && !state.stopped.includes(vmid))
          writeState(opts.vmStateFile, { ...state, stopped: [...state.stopped, vmid] })
        return {}
      }
      case 'vzdump': {
        // One archive per job, as the real step finds the one it made after a restart.
        const volid = `local:backup/vzdump-qemu-${ctx.checkpoint.vmid ?? 0}-${ctx.job.jobId}.vma.zst`
        if (!state.backups.some((b) => b.volid === volid)) {
          const backup = {
            deploymentId: spec.deploymentId,
            volid,
            createdAt: Date.now(),
            size: 64 * 1024 ** 2,
            kind: ctx.job.backup?.kind ?? 'manual',
            gameVersion: ctx.checkpoint.gameVersion ?? null,
            protected: false,
          }
          writeState(opts.vmStateFile, { ...state, backups: [...state.backups, backup] })
        }
        return {}
      }
      case 'prune_backups': {
        const params = ctx.job.backup
        if (params?.kind !== 'scheduled' || !params.keep) return {}
        const own = state.backups.filter((b) => b.deploymentId === spec.deploymentId)
        const { remove } = pruneSelection(own, params.keep, params.timeZone ?? 'UTC')
        for (const volid of remove) ctx.log(`removing ${volid}`)
        writeState(opts.vmStateFile, {
          ...state,
          backups: state.backups.filter((b) => !remove.includes(b.volid)),
        })
        return {}
      }
      case 'warn_players':
      case 'save_world':
      case 'resume_world':
      case 'safety_backup':
      case 'restore_vm':
      case 'configure':
      case 'resize':
      case 'provision':
      case 'image_checksum':
      case 'download_image':
      case 'create_vm':
      case 'snapshot':
      case 'change_vm':
      case 'prune_snapshots':
      case 'rollback':
      case 'bake_layer':
        return {}
      case 'seal_template':
        return { result: { templateVmid: ctx.checkpoint.vmid ?? 0, name: spec.name } }
      // The fake template: the simulator's and the demo's VM id for it.
      case 'make_template':
        return { result: { templateVmid: 9000, release: spec.template?.release ?? null } }
    }
  }

  return {
    runStep,
    async inspect(_proxmox, target) {
      const state = readFakeVmState(opts.vmStateFile)
      const exists = Object.values(state.vms).includes(target.vmid)
      const running = exists && !state.stopped.includes(target.vmid)
      return {
        checkedAt: Date.now(),
        power: !exists ? 'missing' : running ? 'running' : 'stopped',
        game: running
          ? { online: true, latencyMs: 1, version: 'fake-1.0', players: { online: 0, max: 20 } }
          : null,
      }
    },
    async listBackups(_proxmox, deploymentId) {
      return readFakeVmState(opts.vmStateFile)
        .backups.filter((b) => b.deploymentId === deploymentId)
        .map(({ deploymentId: _d, ...entry }) => entry)
        .sort((a, b) => b.createdAt - a.createdAt)
    },
    async deleteBackup(_proxmox, deploymentId, volid) {
      const state = readFakeVmState(opts.vmStateFile)
      if (!state.backups.some((b) => b.volid === volid && b.deploymentId === deploymentId))
        throw new Error(`${volid} is not a backup of this deployment`)
      writeState(opts.vmStateFile, {
        ...state,
        backups: state.backups.filter((b) => b.volid !== volid),
      })
    },
    async protectBackup(_proxmox, deploymentId, volid, protect) {
      const state = readFakeVmState(opts.vmStateFile)
      if (!state.backups.some((b) => b.volid === volid && b.deploymentId === deploymentId))
        throw new Error(`${volid} is not a backup of this deployment`)
      writeState(opts.vmStateFile, {
        ...state,
        backups: state.backups.map((b) => (b.volid === volid ? { ...b, protected: protect } : b)),
      })
    },
    // The fake's snapshot steps keep nothing: its VMs have no snapshots to list or delete.
    async listSnapshots() {
      return []
    },
    async deleteSnapshot(_proxmox, _deploymentId, name) {
      throw new Error(`the VM has no snapshot ${name}`)
    },
    async listProductVms() {
      const state = readFakeVmState(opts.vmStateFile)
      return Object.entries(state.vms).map(([deploymentId, vmid]) => ({
        vmid,
        name: `gs-fake-${deploymentId}`,
        status: state.stopped.includes(vmid) ? 'stopped' : 'running',
        deploymentId,
      }))
    },
    async destroyVm(_proxmox, vmid) {
      const state = readFakeVmState(opts.vmStateFile)
      const entry = Object.entries(state.vms).find(([, id]) => id === vmid)
      if (!entry) return `VM ${vmid} does not exist (already destroyed)`
      const { [entry[0]]: _gone, ...rest } = state.vms
      writeState(opts.vmStateFile, { ...state, vms: rest })
      return `VM ${vmid} destroyed (fake)`
    },
    // Room for everything: the fake executors stand in for a big, empty node.
    async capacity(proxmox) {
      return {
        node: proxmox.node,
        memory: { free: 60 * 1024 ** 3, total: 64 * 1024 ** 3 },
        storage: { id: proxmox.storage, avail: 900 * 1024 ** 3, total: 1024 ** 4 },
      }
    },
    async testConnection(proxmox, ctx) {
      ctx.log(`[fake] testing ${proxmox.apiUrl} as ${proxmox.tokenId}`)
      if (opts.leakSecrets) ctx.log(`[fake] token secret is ${proxmox.tokenSecret}`)
      await sleep(opts.stepDelayMs, undefined, { signal: ctx.signal })
      return [
        { name: 'api', ok: true, message: `reached ${proxmox.apiUrl} (fake)` },
        { name: 'template', ok: true, message: `template ${proxmox.templateVmid} found (fake)` },
      ]
    },
  }
}
