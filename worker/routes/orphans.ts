import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { audit } from '../http/audit'
import { ApiError } from '../http/errors'
import { hubStub } from '../do/stubs'

/**
 * VMs of this product that no live deployment owns, as the runners' sweep found them, and the
 * one-click destroy. Nothing here destroys on its own: that is the cleanup policy's job.
 */
export const orphansRoutes = new Hono<AppEnv>()
  .get('/', async (c) => c.json(await hubStub(c.env).orphans()))
  .post('/:vmid/destroy', async (c) => {
    const raw = c.req.param('vmid')
    const vmid = Number(raw)
    if (!/^\d{1,9}$/.test(raw) || vmid < 100) {
      throw new ApiError(400, 'invalid_request', `Invalid path: vmid: "${raw}" is not a VM id`, {
        details: [{ path: 'vmid', message: 'must be a VM id (100 or more)' }],
      })
    }
    const result = await hubStub(c.env).destroyOrphan(vmid)
    await audit(c, 'orphan.destroy_requested', {
      target: String(vmid),
      details: { ok: result.ok, message: result.message },
    })
    if (!result.ok) {
      throw new ApiError(result.code === 'not_found' ? 404 : 409, result.code, result.message)
    }
    return c.json({ ok: true as const, message: result.message })
  })
