import { createHash } from 'node:crypto'
import type { GameModule } from '../../../core/games/types'
import type { StepContext } from './types'

/**
 * Where the simulated provisioner leaves its work on the guest. Against the Proxmox simulator
 * (`npm run demo`, the end-to-end tests) the VMs are not real, so no playbook can run; instead
 * the runner writes the playbook's input — the same extra vars Ansible would get, secrets left
 * out — into the guest through Proxmox's guest agent (`POST …/agent/file-write`), and the
 * simulated guest starts a game that answers as those vars say. So what the demo shows after
 * "ready" is what the deployment asked for, and the verify step checks it as it would a real
 * server.
 */
export const SIMULATED_PROVISION_FILE = '/etc/pgd/simulated-provision.json'

/** The file's content: which game, and its vars. */
export interface SimulatedProvision {
  game: string
  playbook: string
  vars: Record<string, unknown>
  /**
   * SHA-256 (hex) of each top-level var that is a secret, by name: the simulated guest checks a
   * password it is given (RCON) against it, as a real server checks its configured one, without
   * the secret being written anywhere.
   */
  secretDigests?: Record<string, string>
}

/** The digests of the top-level vars whose value is one of `secrets`. */
export function secretDigests(
  vars: Record<string, unknown>,
  secrets: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(vars)) {
    if (typeof value === 'string' && value !== '' && secrets.includes(value))
      out[name] = createHash('sha256').update(value).digest('hex')
  }
  return out
}

/** The tasks the log shows, one line each, like a real play's. */
const TASKS = [
  'Check the target',
  'Install the packages',
  'Create the service user',
  'Install the server',
  'Write the configuration',
  'Open the firewall',
  'Start the service',
  'Wait until the game answers',
]

/** The tasks of the game's base layer, which a game-ready template already has. */
const BASE_LAYER_TASKS = ['Install the packages', 'Create the service user']

/** `vars` with every value that is one of `secrets` left out (the simulated guest needs none). */
export function withoutSecrets(vars: unknown, secrets: readonly string[]): unknown {
  if (typeof vars === 'string') return secrets.includes(vars) ? undefined : vars
  if (Array.isArray(vars)) return vars.map((v) => withoutSecrets(v, secrets))
  if (typeof vars === 'object' && vars !== null) {
    return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, withoutSecrets(v, secrets)]))
  }
  return vars
}

export interface SimulatedRun {
  game: GameModule
  vars: Record<string, unknown>
  secretValues: readonly string[]
  /** How long each task takes (RUNNER_SIMULATED_TASK_MS). */
  taskMs: number
  /** Writes a file in the guest through Proxmox's guest agent. */
  writeGuestFile(path: string, content: string): Promise<void>
  sleep(ms: number, signal: AbortSignal): Promise<void>
}

/** The simulated play: its task lines, then the vars written to the guest. */
export async function runSimulatedProvision(ctx: StepContext, run: SimulatedRun): Promise<void> {
  const { job } = ctx
  ctx.log(
    `simulated provisioner: would run ${run.game.playbook} on ${job.spec.ipAddress} as ${job.proxmox.ciUser}; the VM is simulated, so its vars go to the guest through the guest agent`,
    'info',
  )
  // The base layer's tasks, when the VM's template has it (core/bake.ts), are skipped.
  const baked = run.vars[`${run.game.id}_base_baked`] === true
  for (const task of TASKS) {
    ctx.log(`TASK [${run.game.id} : ${task}] ${'*'.repeat(40)}`)
    if (baked && BASE_LAYER_TASKS.includes(task)) {
      ctx.log(`\u001b[0;36mskipping: [${job.spec.ipAddress}]\u001b[0m`)
      continue
    }
    if (run.taskMs) await run.sleep(run.taskMs, ctx.signal)
    ctx.log(`\u001b[0;33mchanged: [${job.spec.ipAddress}]\u001b[0m`)
    ctx.signal.throwIfAborted()
  }
  const content: SimulatedProvision = {
    game: run.game.id,
    playbook: run.game.playbook,
    vars: withoutSecrets(run.vars, run.secretValues) as Record<string, unknown>,
    secretDigests: secretDigests(run.vars, run.secretValues),
  }
  await run.writeGuestFile(SIMULATED_PROVISION_FILE, JSON.stringify(content))
}
