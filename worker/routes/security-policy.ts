import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { audit } from '../http/audit'
import { requireOwner } from '../http/errors'
import { validate } from '../http/validate'
import { readSecurityPolicy, SecurityPolicy, writeSecurityPolicy } from '../settings/security'

/** Settings → Security: whether every account must have a second factor (owners decide). */
export const securityPolicyRoutes = new Hono<AppEnv>()
  .get('/', async (c) => c.json({ security: await readSecurityPolicy(c.env.DB) }))
  .put('/', validate('json', SecurityPolicy), async (c) => {
    const user = c.get('user')
    requireOwner(user, 'Only an owner can change who needs a second factor.')
    const policy = c.req.valid('json')
    await writeSecurityPolicy(c.env.DB, policy, user.username)
    await audit(c, 'settings.security_changed', { details: policy })
    return c.json({ security: policy })
  })
