import { warnPlayers } from '../games/warn-players'
import { applyPlayersLive, liveVars, restartVars } from '../games/live-players'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { getGame } from '../../../core/games'
import type { GameModule } from '../../../core/games/types'
import { stepsOf, type StepName } from '../../../core/protocol'
import { answerFacts, runHealthCheck, type HealthCheckResult } from '../games/health-check'
import type { MinecraftVersionResolver } from '../games/minecraft-version'
import { isBackupStep } from '../proxmox/backup-executor'
import { isChangeStep } from '../proxmox/change-executor'
import { createProxmoxExecutor, isProxmoxStep, isTemplateStep } from '../proxmox/executor'
import { sleep } from '../proxmox/wait'
import { bakeLayer, simulatedBake, skipBakedLayer } from './bake-layer'
import { playOnVm } from './play-on-vm'
import { USER_AGENT } from '../version'
import { createWatchProbe } from './watch-probe'
import { StepFailure, type Executors, type StepContext, type StepResult } from './types'

/**
 * The product's executors: Proxmox for the VM steps and the SSH wait, Ansible for provisioning,
 * the game's own health check for verify.
 */
export interface RealExecutorOptions {
  /** Folder holding the game playbooks and roles. */
  ansibleDir: string
  /**
   * `ansible` runs the game's playbook over SSH. `simulated` only says what it would run: for the
   * demo and benchmarks against the Proxmox simulator, whose VMs have no real SSH.
   */
  provisioner: 'ansible' | 'simulated'
  /** How long each simulated playbook task takes (default 0). */
  simulatedTaskMs?: number
  /** The runner's address as the VMs see it (admin ports such as RCON are opened to it alone). */
  runnerAddress: string | null
  /** Mirrors of the Minecraft version APIs (tests, air-gapped sites). */
  minecraftManifestUrl?: string
  paperApiUrl?: string
  /** Mojang's profile lookup (players of a whitelist), or a mirror. */
  mojangProfilesUrl?: string
  /** Download every game artifact from here instead (a mirror); checksums still apply. */
  artifactUrlOverride?: string | null
  /** How long verify keeps trying while the game finishes starting. */
  verifyTimeoutMs?: number
  /** How long the publishers' version lists are cached (default 10 min). */
  versionListTtlMs?: number
}

/** Where the playbooks are: beside the bundle (installed), or in the repository (from source). */
export function defaultAnsibleDir(): string {
  const here = dirname(fileURLToPath(import.meta.url))
  const candidates = [
    join(here, 'ansible'),
    // This module is a chunk of the bundle, in chunks/ beside pgd-runner.mjs.
    resolve(here, '../ansible'),
    resolve(here, '../../ansible'),
    resolve(here, '../../../ansible'),
  ]
  return (
    candidates.find((dir) => existsSync(join(dir, 'provision_minecraft.yml'))) ??
    candidates[0] ??
    here
  )
}

function gameOf(step: StepName, ctx: StepContext): GameModule {
  const game = getGame(ctx.job.spec.game)
  if (!game)
    throw new StepFailure(
      `${step}: this runner does not know the game "${ctx.job.spec.game}"; upgrade it`,
    )
  return game
}

/** Whether the job's provision step is still ahead (a deploy or a change not yet that far). */
function provisionsLater(ctx: StepContext): boolean {
  const steps = stepsOf(ctx.job.kind)
  return steps.includes('provision') && !ctx.checkpoint.doneSteps.includes('provision')
}

/** The release an artifact resolver found (e.g. Minecraft's `latest` → 1.21.10), if any. */
function versionOf(artifact: unknown): string | undefined {
  if (typeof artifact !== 'object' || artifact === null || !('version' in artifact))
    return undefined
  return typeof artifact.version === 'string' ? artifact.version : undefined
}

export function createRealExecutors(options: RealExecutorOptions): Executors {
  const proxmox = createProxmoxExecutor()
  const watch = createWatchProbe()
  // Provisioning's modules (Ansible, artifact resolvers) load with the first playbook: a runner
  // that only watches its deployments' status never needs them, so its idle memory stays low.
  let minecraft: MinecraftVersionResolver | null = null
  const provisioning = async () => {
    const [{ runPlaybook }, { preparePlaybook }, { MinecraftVersionResolver }] = await Promise.all([
      import('../ansible/run-playbook'),
      import('../games/prepare'),
      import('../games/minecraft-version'),
    ])
    minecraft ??= new MinecraftVersionResolver({
      userAgent: USER_AGENT,
      mojangManifestUrl: options.minecraftManifestUrl,
      paperApiUrl: options.paperApiUrl,
      listTtlMs: options.versionListTtlMs,
    })
    return { runPlaybook, preparePlaybook, minecraft }
  }
  const verifyTimeoutMs = options.verifyTimeoutMs ?? 5 * 60_000

  /**
   * What provision needs before it can run the playbook: the config checked, the provisioning
   * modules loaded, the game's version resolved (e.g. `latest` → the jar's URL and checksum) and
   * its players looked up. It starts with the job's first step, so these lookups run while the VM
   * is cloned and boots (one per job, kept with the job); provision awaits it and reports its
   * failure. The job's signal (cancel) stops the lookups.
   */
  const preparations = new WeakMap<StepContext['job'], Promise<Prepared>>()
  function preparation(ctx: StepContext): Promise<Prepared> {
    let started = preparations.get(ctx.job)
    if (!started) {
      started = prepare(ctx)
      // Awaited by provision; a job that fails or is cancelled before it must not leave an
      // unhandled rejection behind.
      started.catch(() => {})
      preparations.set(ctx.job, started)
    }
    return started
  }

  type Prepared = Awaited<ReturnType<typeof prepare>>
  async function prepare(ctx: StepContext) {
    const { job } = ctx
    const game = gameOf('provision', ctx)
    const config = game.configSchema.safeParse(job.spec.gameConfig)
    if (
      options.provisioner === 'simulated' &&
      (!options.minecraftManifestUrl || !options.paperApiUrl) &&
      config.success &&
      game.artifact(config.data) !== null
    ) {
      // Simulated VMs still get a resolved version, from simulated publishers, never the internet.
      throw new StepFailure(
        'provision: the simulated provisioner needs RUNNER_MINECRAFT_MANIFEST_URL and RUNNER_PAPER_API_URL (the simulated game publishers; npm run demo sets them)',
      )
    }
    if (options.provisioner === 'simulated' && !options.mojangProfilesUrl) {
      const wanted = config.success ? game.players?.(config.data) : null
      if (wanted?.online) {
        throw new StepFailure(
          'provision: the simulated provisioner needs RUNNER_MOJANG_PROFILES_URL (the simulated player lookup; npm run demo sets it) to look the players up',
        )
      }
    }
    const { preparePlaybook, minecraft } = await provisioning()
    const { resolvePlayers } = await import('../games/minecraft-players')
    try {
      const prepared = await preparePlaybook({
        game,
        config: job.spec.gameConfig,
        ansibleDir: options.ansibleDir,
        runnerAddress: options.runnerAddress,
        secrets: job.gameSecrets,
        resolvers: { minecraft },
        artifactUrlOverride: options.artifactUrlOverride,
        signal: ctx.signal,
        resolvePlayers: (request) =>
          resolvePlayers(request, {
            profilesUrl: options.mojangProfilesUrl,
            userAgent: USER_AGENT,
            signal: ctx.signal,
          }),
      })
      return { game, prepared }
    } catch (err) {
      throw new StepFailure(`provision: ${err instanceof Error ? err.message : String(err)}`)
    }
  }

  async function provision(ctx: StepContext): Promise<StepResult> {
    const { job } = ctx
    const { game, prepared } = await preparation(ctx)
    const gameVersion = versionOf(prepared.artifact)
    skipBakedLayer(ctx, proxmox.takeBakedClone(job.deploymentId), prepared.extraVars)
    const play = await playbookRunner(ctx, game, prepared)
    // A change of the player lists alone: the files are written without a restart, then applied
    // through the console; if that fails, the playbook runs again and restarts the game.
    const live = liveVars(game, job)
    const pinned = await play({ ...prepared.extraVars, ...live })
    if (Object.keys(live).length > 0) {
      const failed = await applyPlayersLive(game, job, {
        log: (l) => ctx.log(l),
        signal: ctx.signal,
      })
      if (failed === null)
        ctx.log('player lists applied live through the console, no restart', 'info')
      else {
        ctx.signal.throwIfAborted()
        ctx.log(
          `the console could not apply the player lists (${failed}): restarting the game to load them instead`,
          'info',
        )
        await play({ ...prepared.extraVars, ...restartVars(game) })
      }
    }
    return { gameVersion, ...(pinned ? { hostKey: pinned } : {}) }
  }

  /**
   * How provision runs the game's playbook with some extra vars: Ansible over SSH (the host key
   * checked first; resolves with the key it pinned, if any), or the simulated provisioner.
   */
  async function playbookRunner(
    ctx: StepContext,
    game: GameModule,
    prepared: { playbook: string; secretValues: string[] },
  ): Promise<(extraVars: Record<string, unknown>) => Promise<string | null>> {
    if (options.provisioner === 'simulated') {
      const vmid = ctx.checkpoint.vmid
      if (vmid === undefined) throw new StepFailure('provision: no VM in the checkpoint')
      const { runSimulatedProvision } = await import('./simulated-provision')
      return async (vars) => {
        await runSimulatedProvision(ctx, {
          game,
          vars,
          secretValues: prepared.secretValues,
          taskMs: options.simulatedTaskMs ?? 0,
          writeGuestFile: (path, content) => proxmox.writeGuestFile(ctx, vmid, path, content),
          sleep,
        })
        return null
      }
    }
    const { runPlaybook } = await provisioning()
    return async (extraVars) =>
      (await playOnVm(ctx, runPlaybook, 'provision', { ...prepared, extraVars })).pinned
  }

  async function verify(ctx: StepContext): Promise<StepResult> {
    const game = gameOf('verify', ctx)
    const parsed = game.configSchema.safeParse(ctx.job.spec.gameConfig)
    if (!parsed.success) throw new StepFailure('verify: the stored game config no longer validates')
    // The server must answer as configured: what provision installed, the MOTD, the slots…
    const check = game.healthCheck(parsed.data, { version: ctx.checkpoint.gameVersion })
    const deadline = Date.now() + verifyTimeoutMs
    let last: HealthCheckResult | null = null
    for (let attempt = 1; attempt <= 1_000; attempt++) {
      last = await runHealthCheck(check, ctx.job.spec.ipAddress, ctx.signal)
      if (last.ok) break
      if (Date.now() > deadline) break
      ctx.log(`verify: ${last.error}; trying again`, 'info')
      await sleep(Math.min(5_000, 500 * attempt), ctx.signal)
    }
    if (!last?.ok) {
      const where = `${ctx.job.spec.ipAddress}:${check.port}`
      throw new StepFailure(
        last?.mismatch
          ? `verify: the server on ${where} is not configured as asked: ${last.error}`
          : `verify: the game does not answer on ${where}`,
        last?.error,
      )
    }
    if (last.kind === 'minecraft-slp') {
      const s = last.status
      ctx.log(
        `verify: ${s.version}, "${s.motd}", ${s.playersOnline}/${s.playersMax} players, ${s.latencyMs} ms`,
        'info',
      )
    } else if (last.kind === 'steam-a2s') {
      const i = last.info
      ctx.log(
        `verify: "${i.name}" (${i.game} ${i.version}), ${i.players}/${i.maxPlayers} players, ${i.latencyMs} ms`,
        'info',
      )
    }
    // Players connect to the game port, which may not be the one the check asked.
    const gamePort = game.ports(parsed.data).find((p) => p.name === 'game')?.port ?? check.port
    return { result: { address: `${ctx.job.spec.ipAddress}:${gamePort}`, ...answerFacts(last) } }
  }

  return {
    async runStep(step, ctx) {
      // A job that provisions later starts its lookups now, beside the VM's steps.
      if (step !== 'provision' && provisionsLater(ctx)) void preparation(ctx)
      if (isProxmoxStep(step)) return proxmox.runStep(step, ctx)
      if (isTemplateStep(step)) return proxmox.runTemplateStep(step, ctx)
      if (isBackupStep(step)) return proxmox.runBackupStep(step, ctx)
      if (isChangeStep(step)) return proxmox.runChangeStep(step, ctx)
      switch (step) {
        case 'provision':
          return provision(ctx)
        case 'bake_layer': {
          if (options.provisioner === 'simulated') return simulatedBake(ctx, options, sleep)
          const { runPlaybook } = await provisioning()
          return bakeLayer(ctx, options.ansibleDir, runPlaybook)
        }
        case 'verify':
          return verify(ctx)
        case 'warn_players':
          await warnPlayers(ctx.job, ctx)
          return {}
      }
    },
    testConnection: (conn, ctx) => proxmox.testConnection(conn, ctx),
    capacity: (conn, signal) => proxmox.capacity(conn, signal),
    inspect: (conn, target, signal) => watch.inspect(conn, target, signal),

    listProductVms: (conn, signal) => watch.listProductVms(conn, signal),
    listBackups: (conn, deploymentId, signal) => proxmox.listBackups(conn, deploymentId, signal),
    deleteBackup: (conn, deploymentId, volid, signal) =>
      proxmox.removeBackup(conn, deploymentId, volid, signal),
    protectBackup: (conn, deploymentId, volid, protect, signal) =>
      proxmox.protectBackup(conn, deploymentId, volid, protect, signal),
    listSnapshots: (conn, deploymentId, signal) =>
      proxmox.listVmSnapshots(conn, deploymentId, signal),
    deleteSnapshot: (conn, deploymentId, name, signal) =>
      proxmox.removeVmSnapshot(conn, deploymentId, name, signal),
    async destroyVm(conn, vmid, deploymentId, ctx) {
      const lines: string[] = []
      await proxmox.destroyOrphan(conn, vmid, deploymentId, {
        log: (l) => {
          lines.push(l)
          ctx.log(l)
        },
        signal: ctx.signal,
      })
      return lines.at(-1) ?? `VM ${vmid} destroyed`
    },
  }
}
