import type { AnsibleVars } from '../../../core/games/types'
import type { runPlaybook as RunPlaybook } from '../ansible/run-playbook'
import { checkHostKey } from '../ssh/host-key'
import { StepFailure, type StepContext } from './types'

/**
 * Runs a playbook against the job's VM over SSH: the key wait_ssh pinned is checked once more,
 * so a VM that changed since fails with a clear message before Ansible starts (OpenSSH would
 * refuse it too); a job resumed past a wait_ssh from before keys were pinned pins it here.
 * Returns the key it pinned, if it did. `step` names the step in failure messages.
 */
export async function playOnVm(
  ctx: StepContext,
  runPlaybook: typeof RunPlaybook,
  step: string,
  play: { playbook: string; extraVars: AnsibleVars; secretValues?: string[] },
): Promise<{ pinned: string | null }> {
  const { job } = ctx
  let hostKey = ctx.checkpoint.hostKey
  let pinned: string | null
  try {
    pinned = await checkHostKey(job.spec.ipAddress, job.proxmox.sshPort, hostKey, {
      log: (line) => ctx.log(line, 'info'),
      signal: ctx.signal,
    })
  } catch (err) {
    ctx.signal.throwIfAborted()
    throw new StepFailure(err instanceof Error ? err.message : String(err))
  }
  hostKey ??= pinned ?? undefined
  if (!hostKey) throw new StepFailure(`${step}: the VM’s SSH host key is unknown`)
  ctx.log(`running ${play.playbook.split('/').at(-1)} against ${job.spec.ipAddress}`, 'info')
  const result = await runPlaybook({
    playbook: play.playbook,
    target: {
      address: job.spec.ipAddress,
      port: job.proxmox.sshPort,
      user: job.proxmox.ciUser,
      hostKey,
    },
    privateKeyPath: ctx.sshPrivateKeyPath,
    extraVars: play.extraVars,
    secrets: play.secretValues ?? [],
    log: (line) => ctx.log(line),
    signal: ctx.signal,
  })
  if (result.aborted) throw new StepFailure(`${step}: stopped (cancelled)`)
  if (!result.ok) {
    const task = result.failure ? `task "${result.failure.task}" failed` : 'ansible-playbook failed'
    throw new StepFailure(
      `${step}: ${task}: ${result.error ?? 'see the log'}`,
      result.failure?.message ?? result.error ?? undefined,
    )
  }
  return { pinned }
}
