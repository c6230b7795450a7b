import type { CreateDeployment } from '../../core/deployment-api'
import type { GameModule } from '../../core/games/types'
import type { DeploymentSpec } from '../../core/protocol'
import type { IpPool } from '../../core/settings'
import type { AppContext } from '../env'
import {
  insertDeployment,
  isAddressTaken,
  type DeploymentRow,
  type StoredInputs,
} from '../db/deployments'
import { deploymentStub } from '../do/stubs'
import { ApiError } from '../http/errors'
import { checkStaticAddress, freeAddresses } from '../settings/ip-pool'
import { requireProxmoxSettings } from '../settings/proxmox'
import { refuseIfNoRoom } from './capacity'
import { copiesOf, getDefaultSchedules } from './default-schedules'
import { enqueue } from './enqueue'
import { sealInputs } from './game-secrets'

export interface NewDeployment {
  name: string
  game: GameModule
  /** The whole config, sensitive fields included (sealed here). */
  config: Record<string, unknown>
  /** The game's generated secrets (RCON password…), sealed here. */
  secrets: Record<string, string>
  sizing: { cores: number; memoryMb: number; diskGb: number }
  network: CreateDeployment['network']
  sshPublicKeys: string[]
  /** Made from a backup instead of the template. */
  restoreFrom?: DeploymentSpec['restoreFrom']
  audit: { action: string; details: Record<string, unknown> }
}

/**
 * A new deployment: room checked, secrets sealed, an address claimed from the pool (or the one
 * asked for), the row and the deployment's object created, its first job queued with the audit
 * entry of the request. Returns the D1 row.
 */
export async function createDeploymentRecord(
  c: AppContext,
  d: NewDeployment,
): Promise<DeploymentRow> {
  const settings = await requireProxmoxSettings(c.env)
  await refuseIfNoRoom(c.env, d.sizing)
  const id = crypto.randomUUID()
  const { publicConfig, gameSecretsEnc } = await sealInputs(
    c.env,
    id,
    d.game.id,
    d.config,
    d.secrets,
  )
  const user = c.get('user')
  const exhausted = () =>
    new ApiError(
      409,
      'pool_exhausted',
      `No free address left in ${settings.ipPool.rangeStart}–${settings.ipPool.rangeEnd}: destroy a deployment or widen the pool in Settings.`,
    )
  if (d.network.mode === 'static')
    checkStaticAddress(settings.ipPool, settings.gateway, d.network.ip)
  /** Insert the row holding `ip`; null when another deployment took it first. */
  const claim = async (
    ip: string,
  ): Promise<{ spec: DeploymentSpec; row: DeploymentRow } | null> => {
    const spec: DeploymentSpec = {
      deploymentId: id,
      name: d.name,
      game: d.game.id,
      gameConfig: publicConfig,
      cores: d.sizing.cores,
      memoryMiB: d.sizing.memoryMb,
      diskGiB: d.sizing.diskGb,
      ipAddress: ip,
      sshPublicKeys: d.sshPublicKeys,
      ...(d.restoreFrom ? { restoreFrom: d.restoreFrom } : {}),
    }
    const inputs: StoredInputs = { spec, gameSecretsEnc }
    try {
      const row = await insertDeployment(c.env.DB, {
        id,
        name: d.name,
        game: d.game.id,
        inputsJson: JSON.stringify(inputs),
        ip,
        createdBy: user.id,
      })
      return { spec, row }
    } catch (err) {
      if (isAddressTaken(err)) return null
      throw err
    }
  }
  let claimed: { spec: DeploymentSpec; row: DeploymentRow } | null
  if (d.network.mode === 'static') {
    claimed = await claim(d.network.ip)
    if (!claimed) {
      throw new ApiError(
        409,
        'address_in_use',
        `${d.network.ip} is already used by another deployment.`,
        {
          details: [{ path: 'network.ip', message: 'is already used by another deployment' }],
        },
      )
    }
  } else {
    claimed = await claimFreeAddress(c.env.DB, settings.ipPool, claim)
    if (!claimed) throw exhausted()
  }
  const { spec, row } = claimed
  const jobId = crypto.randomUUID()
  // The DO exists before its job is queued, so a dispatcher never leases a job it cannot find.
  const stub = deploymentStub(c.env, id)
  await stub.init(spec, jobId)
  const defaults = await getDefaultSchedules(c.env.DB)
  if (defaults.length > 0) await stub.setSchedules(copiesOf(defaults))
  await enqueue(c, id, jobId, 'deploy', d.audit.action, { ...d.audit.details, ip: spec.ipAddress })
  return row
}

/**
 * Insert a row on the lowest free address of the pool. Concurrent creations race for the same
 * lowest free addresses; the unique index decides (`claim` returns null for a lost one) and the
 * losers look again (bounded), so a burst of creations all get an address. Null: none left.
 */
export async function claimFreeAddress<T>(
  db: D1Database,
  pool: IpPool,
  claim: (ip: string) => Promise<T | null>,
): Promise<T | null> {
  const tried = new Set<string>()
  for (let round = 0; round < 20; round++) {
    const free = (await freeAddresses(db, pool, 8 + tried.size)).filter((ip) => !tried.has(ip))
    if (free.length === 0) return null
    for (const ip of free) {
      tried.add(ip)
      const claimed = await claim(ip)
      if (claimed) return claimed
    }
  }
  return null
}
