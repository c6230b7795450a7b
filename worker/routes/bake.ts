import { Hono } from 'hono'
import { BAKE_GAME, BAKE_LAYERS, BakeRequest } from '../../core/bake'
import { IN_PROGRESS } from '../../core/deployment/status'
import type { AppEnv } from '../env'
import { auditEntry } from '../http/audit'
import { ApiError } from '../http/errors'
import { validate } from '../http/validate'
import { batch } from '../db/client'
import {
  insertDeployment,
  isAddressTaken,
  latestOfGame,
  type StoredInputs,
} from '../db/deployments'
import { jobInsert } from '../db/jobs'
import { bakeSpec, bakeView } from '../lib/bake-job'
import { claimFreeAddress } from '../lib/create-deployment'
import { requireProxmoxSettings } from '../settings/proxmox'
import { deploymentStub, hubStub } from '../do/stubs'

const latest = (db: D1Database) => latestOfGame(db, BAKE_GAME)

/**
 * "Bake a game-ready template" (core/bake.ts): the job that clones the base template, applies a
 * game's base layer and converts the result into a template deployments of that game clone. Its
 * record is a deployment the game list hides, so the deployment routes serve its socket and log.
 */
export const bakeRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const row = await latest(c.env.DB)
    return c.json({ job: row ? bakeView(row) : null, layers: BAKE_LAYERS })
  })
  .post('/', validate('json', BakeRequest), async (c) => {
    const req = c.req.valid('json')
    const settings = await requireProxmoxSettings(c.env)
    const running = await latest(c.env.DB)
    if (running && (IN_PROGRESS.includes(running.status) || running.status === 'cancelling')) {
      throw new ApiError(409, 'bake_job_running', 'A template is already being baked: wait for it.')
    }
    const id = crypto.randomUUID()
    const jobId = crypto.randomUUID()
    // The VM it bakes on needs an address while it runs; the record gives it back at the end.
    const claimed = await claimFreeAddress(c.env.DB, settings.ipPool, async (ip) => {
      const spec = bakeSpec(id, req, ip)
      const inputs: StoredInputs = { spec, gameSecretsEnc: null }
      try {
        const row = await insertDeployment(c.env.DB, {
          id,
          name: spec.name,
          game: BAKE_GAME,
          inputsJson: JSON.stringify(inputs),
          ip,
          createdBy: c.get('user').id,
        })
        return { spec, row }
      } catch (err) {
        if (isAddressTaken(err)) return null
        throw err
      }
    })
    if (!claimed) {
      throw new ApiError(
        409,
        'pool_exhausted',
        'No free address left in the pool for the VM the template is baked on.',
      )
    }
    await deploymentStub(c.env, id).init(claimed.spec, jobId)
    await batch(c.env.DB, [
      jobInsert(c.env.DB, id, jobId, 'bake'),
      auditEntry(c, 'template.bake_requested', {
        target: id,
        details: { game: req.game, javaMajor: req.javaMajor, name: claimed.spec.name },
      }),
    ])
    c.executionCtx.waitUntil(hubStub(c.env).dispatch())
    return c.json({ job: bakeView(claimed.row) }, 201)
  })
