import { join } from 'node:path'
import type { BakedName } from '../../../core/bake'
import type { AnsibleVars } from '../../../core/games/types'
import type { runPlaybook as RunPlaybook } from '../ansible/run-playbook'
import { playOnVm } from './play-on-vm'
import { StepFailure, type StepContext, type StepResult } from './types'

/**
 * The runner's Ansible side of game-ready templates (core/bake.ts): the bake job's `bake_layer`
 * step, and the deploy's choice to skip the base layer on a VM cloned from one.
 */

/** The playbook that bakes each game's base layer (under the ansible folder). */
const BAKE_PLAYBOOK = { minecraft: 'bake_minecraft.yml' } as const

/** Its tasks, as the simulated provisioner shows them: the base layer, then the sealing. */
export const BAKE_TASKS = [
  'minecraft : Check that the distribution is supported',
  'minecraft : Install Java and UFW',
  'minecraft : Create the minecraft system user',
  'minecraft : Allow SSH through the firewall',
  'minecraft : Deny other incoming traffic and enable the firewall',
  "Clean cloud-init's state and logs",
  'Empty the machine id',
  "Remove the SSH host keys, the journal and D-Bus's machine id",
  "Remove apt's downloaded packages",
]

function bakeOf(ctx: StepContext) {
  const bake = ctx.job.spec.bake
  if (!bake) throw new StepFailure('bake_layer: this job has nothing to bake')
  return bake
}

/** Step `bake_layer`: the game's base layer on the bake VM, then the VM sealed as a template. */
export async function bakeLayer(
  ctx: StepContext,
  ansibleDir: string,
  runPlaybook: typeof RunPlaybook,
): Promise<StepResult> {
  const bake = bakeOf(ctx)
  ctx.log(`baking the ${bake.game} base layer ${bake.layer} (Java ${bake.javaMajor})`, 'info')
  const { pinned } = await playOnVm(ctx, runPlaybook, 'bake_layer', {
    playbook: join(ansibleDir, BAKE_PLAYBOOK[bake.game]),
    extraVars: { minecraft_java_major: bake.javaMajor },
  })
  return pinned ? { hostKey: pinned } : {}
}

/** Step `bake_layer` against the simulator: the play's task lines, no VM to run them on. */
export async function simulatedBake(
  ctx: StepContext,
  options: { simulatedTaskMs?: number },
  sleep: (ms: number, signal: AbortSignal) => Promise<void>,
): Promise<StepResult> {
  const bake = bakeOf(ctx)
  ctx.log(
    `simulated provisioner: would run ${BAKE_PLAYBOOK[bake.game]} on ${ctx.job.spec.ipAddress} (Java ${bake.javaMajor}, layer ${bake.layer})`,
    'info',
  )
  for (const task of BAKE_TASKS) {
    ctx.log(`TASK [${task}] ${'*'.repeat(40)}`)
    if (options.simulatedTaskMs) await sleep(options.simulatedTaskMs, ctx.signal)
    ctx.log(`\u001b[0;33mchanged: [${ctx.job.spec.ipAddress}]\u001b[0m`)
    ctx.signal.throwIfAborted()
  }
  return {}
}

/**
 * Provision on a VM this runner cloned from a game-ready template: when the template's Java
 * family is the one the resolved version needs, the playbook skips the base layer
 * (`<game>_base_baked`); otherwise it runs whole. The log says which.
 */
export function skipBakedLayer(
  ctx: StepContext,
  baked: BakedName | undefined,
  extraVars: AnsibleVars,
): void {
  if (!baked) return
  const wanted = Number(extraVars[`${baked.game}_java_major`])
  if (wanted === baked.javaMajor) {
    extraVars[`${baked.game}_base_baked`] = true
    ctx.log(`base layer ${baked.layer} is in the template (Java ${wanted}): skipping it`, 'info')
  } else {
    ctx.log(
      `the template has Java ${baked.javaMajor}, this version needs Java ${wanted}: running the whole playbook`,
      'info',
    )
  }
}
