import { Hono } from 'hono'
import { z } from 'zod'
import { redeemCode } from '../db/runners'
import type { AppEnv } from '../env'
import { audit } from '../http/audit'
import { randomToken, sha256Hex } from '../crypto/tokens'
import { ApiError } from '../http/errors'
import { requireRunner } from '../http/runner-auth'
import { deploymentStub, hubStub } from '../do/stubs'
import { mutable } from '../http/response'
import { validate } from '../http/validate'
import { requireWebSocketUpgrade } from '../http/websocket'

/** Deployment and job ids are the worker's own UUIDs. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

const RegisterBody = z.object({
  code: z.string().trim().min(10).max(100),
  name: z.string().trim().min(1).max(64).optional(),
  version: z.string().trim().max(64).optional(),
})

/**
 * What the on-prem runner calls. Registration trades a one-time code for a long-lived key; the
 * sockets authenticate with that key. No session cookie here.
 */
export const runnerApi = new Hono<AppEnv>()
  .post('/register', validate('json', RegisterBody), async (c) => {
    const body = c.req.valid('json')
    const key = `pgdr_${randomToken(32)}`
    const row = await redeemCode(c.env.DB, {
      codeHash: await sha256Hex(body.code),
      keyHash: await sha256Hex(key),
      at: Date.now(),
      version: body.version ?? null,
    })
    if (!row) {
      throw new ApiError(
        401,
        'invalid_code',
        'This registration code is unknown, already used or expired: create a new one in the dashboard (Runners → Add runner).',
      )
    }
    await audit(c, 'runner.registered', { actor: `runner:${row.name}`, target: row.id })
    return c.json({ runnerId: row.id, name: row.name, key })
  })
  .get('/connect', async (c) => {
    const runner = await requireRunner(c)
    requireWebSocketUpgrade(c)
    const url = new URL('https://hub/connect')
    url.searchParams.set('runnerId', runner.id)
    url.searchParams.set('name', runner.name)
    return mutable(await hubStub(c.env).fetch(new Request(url, c.req.raw)))
  })
  /**
   * A job's socket, opened on the deployment the assignment named: that deployment's object
   * knows which job it leased to which runner and refuses (410) any other.
   */
  .get('/deployments/:deploymentId/jobs/:jobId/connect', async (c) => {
    const runner = await requireRunner(c)
    requireWebSocketUpgrade(c)
    const { deploymentId, jobId } = c.req.param()
    if (!UUID.test(deploymentId) || !UUID.test(jobId)) {
      throw new ApiError(404, 'not_found', 'There is no such deployment or job.')
    }
    const url = new URL('https://deployment/runner')
    url.searchParams.set('runnerId', runner.id)
    url.searchParams.set('jobId', jobId)
    return mutable(await deploymentStub(c.env, deploymentId).fetch(new Request(url, c.req.raw)))
  })
